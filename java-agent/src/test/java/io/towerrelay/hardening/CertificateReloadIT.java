package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.testsupport.JarProcess;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate renewal as certbot does it: the PEM files are replaced, then {@code systemctl reload} sends SIGHUP.
 * New connections get the new certificate, an open connection keeps working, and a broken file is refused with a
 * warning while the relay keeps serving the last good certificate; so is a certificate with the wrong key.
 */
class CertificateReloadIT {
    @TempDir
    Path dir;

    @Test
    void sighupServesTheRenewedCertificateKeepsOpenConnectionsAndRefusesBrokenFiles() throws Exception {
        TestCertificates a = TestCertificates.create(Files.createDirectory(dir.resolve("a")));
        TestCertificates b = TestCertificates.create(Files.createDirectory(dir.resolve("b")));
        Path live = Files.createDirectory(dir.resolve("live"));
        Path cert = live.resolve("fullchain.pem");
        Path key = live.resolve("privkey.pem");
        Files.copy(a.certPem, cert);
        Files.copy(a.keyPem, key);
        try (SlowUpstream upstream = new SlowUpstream(0)) {
            Path config = dir.resolve("relay.yml");
            Files.writeString(config, "listen:\n  address: 127.0.0.1:0\n  tls:\n    certificate: " + cert
                    + "\n    key: " + key + "\nadmin:\n  address: \"off\"\nupstream:\n  url: http://127.0.0.1:" + upstream.port() + "\n");
            try (JarProcess relay = JarProcess.start("serve", "--config", config.toString())) {
                Matcher listening = relay.awaitStderr("listening on https://127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(60));
                int port = Integer.parseInt(listening.group(1));

                try (SSLSocket old = connect(a.clientContext(), port)) {
                    assertThat(old.getSession().getPeerCertificates()[0]).isEqualTo(leaf(a.certPem));
                    assertThat(get(old, "/before")).isEqualTo("done /before");

                    // Renewal: new files in place, then SIGHUP.
                    Files.copy(b.certPem, cert, StandardCopyOption.REPLACE_EXISTING);
                    Files.copy(b.keyPem, key, StandardCopyOption.REPLACE_EXISTING);
                    hup(relay);
                    relay.awaitStderr("INFO .*reload: now serving certificate CN=localhost \\(expires .*\\) from " + cert,
                            Duration.ofSeconds(30));

                    try (SSLSocket fresh = connect(b.clientContext(), port)) {
                        assertThat(fresh.getSession().getPeerCertificates()[0]).isEqualTo(leaf(b.certPem));
                        assertThat(get(fresh, "/after")).isEqualTo("done /after");
                    }
                    // The connection opened before the reload still works, with the certificate it started with.
                    assertThat(get(old, "/still-open")).isEqualTo("done /still-open");
                    assertThat(old.getSession().getPeerCertificates()[0]).isEqualTo(leaf(a.certPem));
                }

                // A half-written certificate file: refused with one warning naming it, B keeps serving.
                Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nMIIBroken\n");
                hup(relay);
                relay.awaitStderr("WARN .*reload: certificate NOT reloaded, still serving the previous one: " + cert,
                        Duration.ofSeconds(30));
                try (SSLSocket fresh = connect(b.clientContext(), port)) {
                    assertThat(fresh.getSession().getPeerCertificates()[0]).isEqualTo(leaf(b.certPem));
                    assertThat(get(fresh, "/after-broken")).isEqualTo("done /after-broken");
                }
                // A certificate with somebody else's key (renewal half done): refused too, naming the key file.
                Files.copy(b.certPem, cert, StandardCopyOption.REPLACE_EXISTING);
                Files.copy(a.keyPem, key, StandardCopyOption.REPLACE_EXISTING);
                hup(relay);
                relay.awaitStderr("WARN .*reload: certificate NOT reloaded.*" + key + " is not the private key of the first certificate in " + cert,
                        Duration.ofSeconds(30));
                try (SSLSocket fresh = connect(b.clientContext(), port)) {
                    assertThat(fresh.getSession().getPeerCertificates()[0]).isEqualTo(leaf(b.certPem));
                    assertThat(get(fresh, "/after-mismatch")).isEqualTo("done /after-mismatch");
                }
                assertThat(relay.stderr()).filteredOn(line -> line.contains("reload:")).hasSize(3);
                assertThat(relay.terminate(Duration.ofSeconds(60))).isZero();
            }
        }
    }

    /** Started with SIGHUP ignored (nohup), the JVM would silently never reload: the relay says so at start. */
    @Test
    void startedWithSighupIgnoredTheRelayWarnsThatReloadIsOff() throws Exception {
        Process relay = new ProcessBuilder("nohup", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JarProcess.jar().toString(), "serve", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9",
                "--admin", "off").redirectErrorStream(true).redirectInput(new java.io.File("/dev/null")).start();
        try (java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(relay.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            java.util.List<String> lines = new java.util.ArrayList<>();
            for (String line; (line = out.readLine()) != null && !line.contains("listening on"); ) {
                lines.add(line);
            }
            assertThat(lines).anySatisfy(line -> assertThat(line)
                    .contains("WARN").contains("SIGHUP is ignored by this process").contains("will not be reloaded"));
        } finally {
            relay.destroy();
            relay.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static void hup(JarProcess relay) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(relay.pid())).inheritIO().start();
        assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    private static SSLSocket connect(SSLContext context, int port) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", port);
        socket.setSoTimeout(30_000);
        socket.startHandshake();
        return socket;
    }

    private static Certificate leaf(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** One keep-alive GET on the socket; returns the body (the relay answers with Content-Length). */
    private static String get(SSLSocket socket, String path) throws IOException {
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(c);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        assertThat(headers).startsWith("HTTP/1.1 200 ");
        int length = -1;
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        assertThat(length).as("Content-Length in %s", headers).isNotNegative();
        return new String(in.readNBytes(length), StandardCharsets.US_ASCII);
    }
}
