package io.towerrelay.mock;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What a browser does before it opens live events: load the page and keep its cookies. */
final class TowerTestClient {
    final HttpClient http;
    final CookieManager cookies = new CookieManager();
    final String base;

    TowerTestClient(String hostAndPort) {
        this.base = "http://" + hostAndPort;
        this.http = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(10)).build();
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    URI uri(String path) {
        return URI.create(base + path);
    }

    /** Loads the page; afterwards {@link #cookie} has the session and CSRF cookies. */
    TowerTestClient login() throws IOException, InterruptedException {
        HttpResponse<String> page = get("/");
        if (page.statusCode() != 200) {
            throw new IllegalStateException("GET / answered " + page.statusCode());
        }
        return this;
    }

    String cookie(String name) {
        return cookies.getCookieStore().getCookies().stream()
                .filter(c -> c.getName().equals(name))
                .map(java.net.HttpCookie::getValue)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no cookie " + name));
    }

    /** The Cookie header a browser would send on the WebSocket handshake. */
    Map<String, String> cookieHeader() {
        return Map.of("Cookie", "awx_sessionid=" + cookie("awx_sessionid") + "; csrftoken=" + cookie("csrftoken"));
    }

    /** The subscription the Tower UI sends for a job's output page. */
    String subscription(String xrftoken, List<String> jobIds) {
        return io.towerrelay.mock.Json.write(Map.of(
                "xrftoken", xrftoken,
                "groups", Map.of("jobs", List.of("status_changed", "summary"), "job_events", jobIds)));
    }
}
