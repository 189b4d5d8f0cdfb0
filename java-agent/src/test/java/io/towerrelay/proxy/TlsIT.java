package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.ListenConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS on both sides with a CA and certificate made at test time. */
class TlsIT {
    private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @TempDir
    static Path dir;
    static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(dir);
    }

    private static RelayConfig base(URI upstream) {
        return RelayConfig.defaults().withListen(ANY_LOOPBACK_PORT).withAdmin(null).withUpstream(upstream)
                .withShutdownGrace(Timeout.ofSeconds(1));
    }

    private static RelayServer start(RelayConfig config) throws Exception {
        return RelayServer.start(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void tlsListenerServesWithPemCertificateAndTellsUpstreamItWasHttps() throws Exception {
        try (TestUpstream upstream = TestUpstream.http();
                RelayServer relay = start(base(upstream.uri()).withListen(
                        new ListenConfig(ANY_LOOPBACK_PORT, new TlsFiles(certs.certPem, certs.keyPem))))) {
            int port = relay.listenAddress().getPort();
            HttpClient client = HttpClient.newBuilder().sslContext(certs.clientContext())
                    .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/echo")).build(),
                    BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("x-forwarded-proto: https\n", "host: localhost:" + port + "\n");

            // curl, verifying against the CA file as an administrator would.
            Process curl = new ProcessBuilder("curl", "-sS", "--cacert", certs.caPem.toString(),
                    "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}",
                    "https://localhost:" + port + "/echo").redirectErrorStream(true).start();
            String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(out).isEqualTo("200 0");

            // The handshake settles on TLS 1.3 or 1.2, the only versions the listener enables.
            SSLContext context = certs.clientContext();
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                socket.startHandshake();
                assertThat(socket.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            }
        }
    }

    @Test
    void httpsUpstreamIsVerifiedAgainstItsCaFile() throws Exception {
        try (TestUpstream upstream = TestUpstream.https(certs.serverContext())) {
            URI uri = upstream.uri("localhost");
            RelayConfig withCa = base(uri);
            withCa = withCa.withUpstream(withCa.upstream().withTls(true, certs.caPem));
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            try (RelayServer relay = start(withCa)) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + relay.listenAddress().getPort() + "/echo")).build(), BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("method=GET");
            }
            // Same upstream, system trust store: the test CA is unknown there, so the relay refuses to talk to it.
            try (RelayServer relay = start(base(uri))) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + relay.listenAddress().getPort() + "/echo")).build(), BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(502);
                assertThat(r.body()).contains("TLS with upstream");
                assertThat(upstream.requestsSeen()).isEqualTo(1);
            }
        }
    }

    @Test
    void httpsUpstreamWhoseCertificateNamesAnotherHostIsRefused() throws Exception {
        // The certificate names localhost and 127.0.0.1, signed by the CA the relay trusts; the upstream is 127.0.0.2.
        try (TestUpstream upstream = TestUpstream.https(certs.serverContext(), InetAddress.getByName("127.0.0.2"))) {
            RelayConfig wrongName = base(upstream.uri("127.0.0.2"));
            wrongName = wrongName.withUpstream(wrongName.upstream().withTls(true, certs.caPem));
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            try (RelayServer relay = start(wrongName)) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + relay.listenAddress().getPort() + "/echo")).build(), BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(502);
                assertThat(r.body()).contains("TLS with upstream 127.0.0.2");
                assertThat(upstream.requestsSeen()).isZero();
            }
            // With verification off (the relay warns at start) the same upstream is used.
            RelayConfig insecure = base(upstream.uri("127.0.0.2"));
            insecure = insecure.withUpstream(insecure.upstream().withTls(false, null));
            try (RelayServer relay = start(insecure)) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + relay.listenAddress().getPort() + "/echo")).build(), BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
        }
    }
}
