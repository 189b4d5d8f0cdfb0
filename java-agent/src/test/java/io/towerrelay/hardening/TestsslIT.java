package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's testssl.sh against the relay's TLS listener on loopback: protocols ({@code -p}), cipher categories
 * ({@code -s}) and forward secrecy ({@code -f}), read from its flat JSON output. Only loopback is contacted, and the
 * test checks it (every connect() of testssl.sh and its children, traced with strace): {@code --nodns none} (the
 * target is an IP literal), {@code NXCONNECT} for its openssl probes, and none of the checks that fetch CRLs, ask
 * OCSP responders or look at certificate transparency (those are in {@code -S}, not asked for; no {@code --phone-out}).
 */
class TestsslIT {
    private static final Path TESTSSL = Path.of("/usr/bin/testssl");
    private static final Path STRACE = Path.of("/usr/bin/strace");

    @TempDir
    Path dir;

    @Test
    void listenerOffersOnlyTls12And13WithForwardSecretAeadSuites() throws Exception {
        assertThat(TESTSSL).as("testssl.sh (Debian package testssl.sh, installed by scripts/test-env.sh)").isExecutable();
        assertThat(STRACE).as("strace (Debian package strace, installed by scripts/test-env.sh)").isExecutable();
        TestCertificates certs = TestCertificates.create(dir);
        try (SlowUpstream tower = new SlowUpstream(0)) {
            RelayConfig base = TestRelays.config(URI.create("http://127.0.0.1:" + tower.port()));
            RelayConfig config = base.withListen(base.listen().withTls(new TlsFiles(certs.certPem, certs.keyPem)));
            try (RelayServer relay = TestRelays.start(config)) {
                Path json = dir.resolve("testssl.json");
                Path log = dir.resolve("testssl.log");
                Path connects = dir.resolve("connect.strace");
                ProcessBuilder command = new ProcessBuilder(STRACE.toString(), "-f", "-qq", "-e", "trace=connect",
                        "-o", connects.toString(),
                        TESTSSL.toString(), "--quiet", "--color", "0", "--warnings", "off",
                        "--nodns", "none", "--connect-timeout", "10", "--openssl-timeout", "10",
                        "-p", "-s", "-f", "--jsonfile", json.toString(),
                        "127.0.0.1:" + relay.listenAddress().getPort())
                        .redirectInput(new File("/dev/null")).redirectErrorStream(true).redirectOutput(log.toFile());
                // testssl.sh probes its local openssl with "s_client -connect invalid.", a DNS query to the machine's
                // resolver; NXCONNECT (its own setting) makes those probes fail on loopback instead.
                command.environment().put("NXCONNECT", "127.0.0.1:0");
                Process testssl = command.start();
                assertThat(testssl.waitFor(300, TimeUnit.SECONDS)).as("testssl.sh finished").isTrue();
                String output = Files.readString(log);
                assertThat(testssl.exitValue()).as("testssl.sh exit code; output:%n%s", output).isZero();

                // Every socket testssl.sh and its openssl opened went to loopback (strace saw each connect()).
                List<String> inet = Files.readAllLines(connects).stream()
                        .filter(line -> line.contains("AF_INET")).toList();
                assertThat(inet).as("connect() calls by testssl.sh").isNotEmpty()
                        .allSatisfy(line -> assertThat(line).containsAnyOf("inet_addr(\"127.0.0.1\")", "\"::1\""));

                Map<String, JsonNode> findings = new LinkedHashMap<>();
                for (JsonNode finding : new ObjectMapper().readTree(json.toFile())) {
                    findings.put(finding.get("id").asText(), finding);
                }
                for (String old : List.of("SSLv2", "SSLv3", "TLS1", "TLS1_1")) {
                    assertThat(finding(findings, old)).as(old).isEqualTo("not offered");
                }
                assertThat(finding(findings, "TLS1_2")).as("TLS 1.2").isEqualTo("offered");
                assertThat(finding(findings, "TLS1_3")).as("TLS 1.3").startsWith("offered");
                // NULL, anonymous, export, LOW (DES, RC2, RC4), 3DES/IDEA, and "AVERAGE" (obsolete CBC suites).
                for (String weak : List.of("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                        "cipherlist_3DES_IDEA", "cipherlist_AVERAGE")) {
                    assertThat(finding(findings, weak)).as(weak).isEqualTo("not offered");
                }
                assertThat(finding(findings, "cipherlist_STRONG")).as("AEAD suites").isEqualTo("offered");
                assertThat(finding(findings, "PFS")).as("forward secrecy").isEqualTo("offered");
                assertThat(finding(findings, "PFS_ciphers").split(" ")).as("forward-secret suites offered")
                        .isNotEmpty().allSatisfy(suite -> assertThat(suite).containsAnyOf("GCM", "CHACHA20"));
                // Nothing testssl.sh rates as a problem (its own local openssl's "no GOST engine" is a WARN, not this).
                assertThat(findings.values()).as("findings rated LOW or worse")
                        .noneMatch(f -> List.of("LOW", "MEDIUM", "HIGH", "CRITICAL", "FATAL").contains(f.get("severity").asText()));
            }
        }
    }

    private static String finding(Map<String, JsonNode> findings, String id) {
        JsonNode finding = findings.get(id);
        assertThat(finding).as("testssl.sh finding %s (got %s)", id, findings.keySet()).isNotNull();
        return finding.get("finding").asText();
    }
}
