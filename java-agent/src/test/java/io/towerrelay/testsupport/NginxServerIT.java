package io.towerrelay.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class NginxServerIT {

    @Test
    void servesTheGivenServerBlockOnAFreePortAndStopsOnClose() throws Exception {
        NginxServer nginx = NginxServer.start("""
                server {
                    listen 127.0.0.1:{{PORT}};
                    location / { return 200 "prefix={{PREFIX}}\\n"; }
                }
                """);
        try (nginx) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(nginx.baseUrl() + "/")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("prefix=" + nginx.prefix() + "\n");
            assertThat(response.headers().firstValue("Server").orElse("")).startsWith("nginx");
            assertThat(nginx.accessLog()).contains("\"GET / HTTP/1.1\" 200");
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", nginx.port()).close()).isInstanceOf(IOException.class);
    }

    @Test
    void aBrokenConfigFailsWithNginxsOwnMessage() {
        assertThatThrownBy(() -> NginxServer.start("server { listen 127.0.0.1:{{PORT}}; no_such_directive on; }"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("nginx exited")
                .hasMessageContaining("unknown directive \"no_such_directive\"");
    }
}
