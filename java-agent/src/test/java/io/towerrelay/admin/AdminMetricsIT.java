package io.towerrelay.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.towerrelay.testsupport.JarProcess;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The built jar, started as systemd starts it, answers on its admin listener with the figures an operator
 * graphs and alerts on: process and JVM metrics next to the relay's own, the build's version in
 * {@code towerrelay_build_info} and {@code /healthz}, in one scrape a Prometheus server accepts.
 */
class AdminMetricsIT {
    private static final String POM_VERSION = System.getProperty("towerrelay.version");
    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void metricsAndHealthzNameTheProcessTheJvmAndTheVersion() throws Exception {
        assertThat(POM_VERSION).as("failsafe passes the POM's version as towerrelay.version").isNotBlank();
        HttpServer tower = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        tower.createContext("/", exchange -> {
            byte[] body = "tower\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        tower.start();
        try (JarProcess relay = JarProcess.start("serve", "--listen", "127.0.0.1:0",
                "--upstream", "http://127.0.0.1:" + tower.getAddress().getPort(), "--admin", "127.0.0.1:0")) {
            var started = relay.awaitStderr("listening on (http://\\S+), relaying to \\S+, admin on (http://\\S+)",
                    Duration.ofSeconds(60));
            URI relayUri = URI.create(started.group(1));
            URI admin = URI.create(started.group(2));
            assertThat(get(relayUri.resolve("/api/v2/ping/")).statusCode()).isEqualTo(200);

            HttpResponse<String> metrics = get(admin.resolve("/metrics"));
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
            PrometheusExposition scrape = PrometheusExposition.parse(metrics.body());

            assertThat(metrics.body()).contains("towerrelay_build_info{version=\"" + POM_VERSION + "\"} 1\n");
            assertThat(scrape.types()).containsEntry("towerrelay_build_info", "gauge")
                    .containsEntry("process_open_fds", "gauge")
                    .containsEntry("process_max_fds", "gauge")
                    .containsEntry("process_resident_memory_bytes", "gauge")
                    .containsEntry("process_start_time_seconds", "gauge")
                    .containsEntry("jvm_memory_used_bytes", "gauge")
                    .containsEntry("jvm_threads_current", "gauge")
                    .containsEntry("jvm_gc_collection_seconds", "summary")
                    // the relay's own metrics are still there, in the same scrape
                    .containsEntry("towerrelay_http_requests_total", "counter")
                    .containsEntry("towerrelay_connections_active", "gauge");
            assertThat(scrape.value("towerrelay_http_requests_total", Map.of("class", "2xx"))).isEqualTo(1);
            assertThat(scrape.value("process_open_fds", Map.of())).isGreaterThan(0)
                    .isLessThan(scrape.value("process_max_fds", Map.of()));
            assertThat(scrape.value("process_resident_memory_bytes", Map.of())).isGreaterThan(1 << 20);
            assertThat(scrape.value("process_start_time_seconds", Map.of()))
                    .isBetween(System.currentTimeMillis() / 1000.0 - 600, System.currentTimeMillis() / 1000.0 + 1);
            assertThat(scrape.value("jvm_memory_used_bytes", Map.of("area", "heap"))).isGreaterThan(0);
            assertThat(scrape.value("jvm_threads_current", Map.of())).isGreaterThanOrEqualTo(2);

            HttpResponse<String> health = get(admin.resolve("/healthz"));
            assertThat(health.statusCode()).isEqualTo(200);
            JsonNode healthz = new ObjectMapper().readTree(health.body());
            assertThat(healthz.path("status").asText()).isEqualTo("ok");
            assertThat(healthz.path("version").asText()).isEqualTo(POM_VERSION);

            assertThat(relay.terminate(Duration.ofSeconds(30))).isZero();
        } finally {
            tower.stop(0);
        }
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
