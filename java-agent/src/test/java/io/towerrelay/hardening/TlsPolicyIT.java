package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.TlsFiles;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The TLS listener offers only TLS 1.2 and 1.3 and no weak cipher suites. Checked with Debian's {@code openssl
 * s_client} at security level 0, so that the client is willing to speak what the relay must refuse; TLS 1.2 and 1.3
 * with strong suites are the positive controls (the same client, the same relay, a completed handshake).
 * RC4, 3DES and EXPORT suites are not in Debian's OpenSSL 3 at all (s_client says "no cipher match"), so no
 * client here can offer them; the JDK's jdk.tls.disabledAlgorithms keeps them off the relay's side too.
 */
class TlsPolicyIT {
    @TempDir
    static Path dir;
    private static MockTower tower;
    private static RelayServer relay;

    @BeforeAll
    static void start() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        tower = MockTower.start(MockTowerOptions.ephemeral());
        var config = TestRelays.config(URI.create("http://" + tower.hostAndPort()));
        relay = TestRelays.start(config.withListen(config.listen().withTls(new TlsFiles(certs.certPem, certs.keyPem))));
    }

    @AfterAll
    static void stop() {
        relay.close();
        tower.close();
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "-tls1_3, '', accepted",
            "-tls1_2, ECDHE-RSA-AES128-GCM-SHA256, accepted",
            "-tls1_1, ALL, refused",
            "-tls1, ALL, refused",
            "-tls1_2, NULL, refused",
            "-tls1_2, aNULL, refused",
    })
    void onlyModernProtocolsAndStrongCiphers(String protocol, String ciphers, String expected) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + relay.listenAddress().getPort(), protocol));
        if (!ciphers.isEmpty()) {
            command.addAll(List.of("-cipher", ciphers + ":@SECLEVEL=0"));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close(); // no input: s_client ends after the handshake
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // The client really offered it (else the test would prove nothing).
        assertThat(out).doesNotContain("no protocols available", "no cipher match", "No ciphers enabled");
        if (expected.equals("accepted")) {
            assertThat(out).containsPattern("New, TLSv1\\.[23], Cipher is (TLS_AES|ECDHE)");
        } else {
            assertThat(out).as(out).contains("Cipher is (NONE)");
        }
    }
}
