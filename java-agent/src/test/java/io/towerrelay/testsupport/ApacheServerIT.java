package io.towerrelay.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fixture itself: a real Apache proxies to a backend on loopback, and a bad config is reported. */
class ApacheServerIT {

    @Test
    void proxiesToABackendOnAFreePort() throws Exception {
        assumeTrue(ApacheServer.available(), "apache2 not installed");
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            byte[] body = ("host=" + exchange.getRequestHeaders().getFirst("Host")).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        backend.start();
        try (ApacheServer apache = ApacheServer.start("ProxyPreserveHost On\nProxyPass / http://127.0.0.1:"
                + backend.getAddress().getPort() + "/\n")) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(apache.url().resolve("/x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("host=127.0.0.1:" + apache.port());
        } finally {
            backend.stop(0);
        }
    }

    @Test
    void aConfigApacheRefusesFailsWithItsMessage() {
        assumeTrue(ApacheServer.available(), "apache2 not installed");
        assertThatThrownBy(() -> ApacheServer.start("NoSuchDirective on\n"))
                .hasMessageContaining("apache2 -t refused the test config")
                .hasMessageContaining("NoSuchDirective");
    }
}
