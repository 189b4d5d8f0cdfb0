package io.towerrelay.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Does through one front proxy what Tower's UI does: load the page (keeping its cookies), open the
 * live-events socket, subscribe to a job and read its events; and asks the mock's echo endpoint what
 * reached the upstream. Every method answers an {@link Outcome} instead of throwing, so one suite can
 * hold good and broken proxies to the same checks.
 */
final class TowerBrowser {
    static final int EVENTS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String hostAndPort;
    private final String upstreamHostAndPort;
    private final SSLContext tls;
    private final CookieManager cookies = new CookieManager();
    private final HttpClient http;

    /** A plain-HTTP browser (HTTP/1.1, {@code ws:}). */
    TowerBrowser(int port, String upstreamHostAndPort) {
        this(port, upstreamHostAndPort, null);
    }

    /**
     * With {@code tls} (trusting the test CA), a browser on {@code https:}: pages and API calls over HTTP/2
     * when the front offers it by ALPN, WebSockets ({@code wss:}) on their own HTTP/1.1 connection.
     */
    TowerBrowser(int port, String upstreamHostAndPort, SSLContext tls) {
        this.hostAndPort = "127.0.0.1:" + port;
        this.upstreamHostAndPort = upstreamHostAndPort;
        this.tls = tls;
        this.http = client(tls == null ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2)
                .cookieHandler(cookies)
                .build();
    }

    private HttpClient.Builder client(HttpClient.Version version) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(version);
        return tls == null ? builder : builder.sslContext(tls);
    }

    private String scheme() {
        return tls == null ? "http" : "https";
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(http, path);
    }

    private HttpResponse<String> get(HttpClient client, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(scheme() + "://" + hostAndPort + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private Optional<String> cookie(String name) {
        return cookies.getCookieStore().getCookies().stream()
                .filter(c -> c.getName().equals(name)).map(HttpCookie::getValue).findFirst();
    }

    Outcome loadPage() {
        try {
            HttpResponse<String> page = get("/");
            if (page.statusCode() != 200) {
                return Outcome.fail("GET / answered HTTP " + page.statusCode());
            }
            if (!page.body().contains("/websocket/")) {
                return Outcome.fail("GET / answered 200 without the live job output page");
            }
            if (cookie("awx_sessionid").isEmpty() || cookie("csrftoken").isEmpty()) {
                return Outcome.fail("GET / set no awx_sessionid/csrftoken cookies");
            }
            return Outcome.pass("200, the page, cookies awx_sessionid and csrftoken, over " + page.version());
        } catch (IOException e) {
            return Outcome.fail("GET / failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.fail("interrupted");
        }
    }

    /** Opens a socket the way the page does: its cookies on the handshake, after loading the page. */
    EventSocket openSocket(String path) throws InterruptedException {
        if (cookie("awx_sessionid").isEmpty()) {
            loadPage();
        }
        String cookieHeader = "awx_sessionid=" + cookie("awx_sessionid").orElse("")
                + "; csrftoken=" + cookie("csrftoken").orElse("");
        return EventSocket.open(URI.create((tls == null ? "ws" : "wss") + "://" + hostAndPort + path),
                Map.of("Cookie", cookieHeader, "Origin", scheme() + "://" + hostAndPort),
                tls == null ? null : tls.getSocketFactory());
    }

    /** Open, subscribe, and read {@link #EVENTS} job events: their counters must go up by one. */
    Outcome liveEvents(String path) {
        return idleThenEvents(path, Duration.ZERO);
    }

    private Outcome expectAccept(EventSocket socket) throws InterruptedException, IOException {
        JsonNode first = socket.next(20);
        if (first == null) {
            return Outcome.fail("no {\"accept\": true} after the handshake" + closedNote(socket));
        }
        if (!first.path("accept").asBoolean(false)) {
            return Outcome.fail("first message was not {\"accept\": true}: " + first);
        }
        return Outcome.pass("accepted");
    }

    /** Sends the UI's subscription and checks the reply and the events that follow. */
    private Outcome subscribeAndReadEvents(EventSocket socket) throws InterruptedException, IOException {
        Map<String, Object> subscription = Map.of(
                "xrftoken", cookie("csrftoken").orElse(""),
                "groups", Map.of("jobs", List.of("status_changed", "summary"), "job_events", List.of("1")));
        socket.send(JSON.writeValueAsString(subscription));
        List<Long> counters = new ArrayList<>();
        boolean joined = false;
        while (counters.size() < EVENTS) {
            JsonNode message = socket.next(20);
            if (message == null) {
                return Outcome.fail((joined ? "events stopped after " + counters.size() : "no reply to the subscription")
                        + closedNote(socket));
            }
            if (message.has("error")) {
                return Outcome.fail("subscription refused: " + message.path("error").asText());
            }
            if (message.has("groups_current")) {
                joined = true;
            } else if ("job_events".equals(message.path("group_name").asText())) {
                counters.add(message.path("counter").asLong());
            }
        }
        for (int i = 1; i < counters.size(); i++) {
            if (counters.get(i) != counters.get(i - 1) + 1) {
                return Outcome.fail("events out of order: counters " + counters);
            }
        }
        if (!joined) {
            return Outcome.fail("events arrived without the groups_current reply");
        }
        return Outcome.pass(EVENTS + " job events, counters consecutive");
    }

    /**
     * Opens a socket, takes the accept message, then sends and receives nothing for {@code idle}; the
     * socket must then still subscribe and deliver events. Proxies that cut quiet sockets fail here.
     */
    Outcome idleThenEvents(String path, Duration idle) {
        try {
            EventSocket socket = openSocket(path);
            try {
                if (!socket.isOpen()) {
                    return Outcome.fail(socket.handshakeFailure());
                }
                if (tls != null && !socket.applicationProtocol().equals("http/1.1")) {
                    return Outcome.fail("the TLS socket's ALPN protocol is '" + socket.applicationProtocol()
                            + "', not http/1.1");
                }
                Outcome accepted = expectAccept(socket);
                if (!accepted.passed()) {
                    return accepted;
                }
                Thread.sleep(idle.toMillis());
                if (!idle.isZero() && socket.wasClosed()) {
                    return Outcome.fail("socket closed by the proxy while idle");
                }
                Outcome events = subscribeAndReadEvents(socket);
                return events.passed() && !idle.isZero()
                        ? Outcome.pass("after " + idle.toSeconds() + " s idle: " + events.observed())
                        : events;
            } finally {
                socket.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.fail("interrupted");
        } catch (IOException e) {
            return Outcome.fail("unreadable message: " + e.getMessage());
        }
    }

    private static String closedNote(EventSocket socket) {
        return socket.wasClosed() ? " (socket closed: " + socket.closeReason() + ")" : "";
    }

    /** What the upstream received for a plain GET, as the mock's echo endpoint tells. */
    Optional<JsonNode> echo() throws IOException, InterruptedException {
        HttpResponse<String> response = get("/api/v2/mock/echo/");
        return response.statusCode() == 200 ? Optional.of(JSON.readTree(response.body())) : Optional.empty();
    }

    static Optional<String> header(JsonNode echo, String name) {
        for (JsonNode h : echo.path("headers")) {
            if (h.path("name").asText().equalsIgnoreCase(name)) {
                return Optional.of(h.path("value").asText());
            }
        }
        return Optional.empty();
    }

    Outcome hostReachesUpstream() {
        return withEcho(echo -> {
            String host = header(echo, "Host").orElse("");
            if (host.equals(hostAndPort)) {
                return Outcome.pass("Host " + "as the browser sent it");
            }
            if (host.equals(upstreamHostAndPort)) {
                return Outcome.fail("upstream saw its own address as Host");
            }
            return Outcome.fail("upstream saw Host '" + host + "'");
        });
    }

    Outcome forwardedForReachesUpstream() {
        return withEcho(echo -> {
            Optional<String> xff = header(echo, "X-Forwarded-For");
            if (xff.isEmpty()) {
                return Outcome.fail("no X-Forwarded-For reached the upstream");
            }
            String[] hops = xff.get().split(",");
            String client = hops[hops.length - 1].trim();
            return client.equals("127.0.0.1")
                    ? Outcome.pass("X-Forwarded-For names the client")
                    : Outcome.fail("X-Forwarded-For '" + xff.get() + "' does not end with the client's address");
        });
    }

    private interface EchoCheck {
        Outcome check(JsonNode echo);
    }

    private Outcome withEcho(EchoCheck check) {
        try {
            Optional<JsonNode> echo = echo();
            return echo.map(check::check).orElseGet(() -> Outcome.fail("GET /api/v2/mock/echo/ did not answer 200"));
        } catch (IOException e) {
            return Outcome.fail("GET /api/v2/mock/echo/ failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.fail("interrupted");
        }
    }

    /**
     * The same TLS port answers an HTTP/2 client over HTTP/2 and an HTTP/1.1 client over HTTP/1.1 (ALPN),
     * as browsers need: the page over h2, the WebSocket on its own http/1.1 connection.
     */
    Outcome http2AndHttp11() {
        if (tls == null) {
            return Outcome.fail("plain HTTP: no TLS listener to negotiate h2 on");
        }
        try {
            HttpResponse<String> h2 = get(client(HttpClient.Version.HTTP_2).build(), "/api/v2/mock/echo/");
            HttpResponse<String> h1 = get(client(HttpClient.Version.HTTP_1_1).build(), "/api/v2/mock/echo/");
            if (h2.version() != HttpClient.Version.HTTP_2) {
                return Outcome.fail("an HTTP/2 client got " + h2.version() + " (status " + h2.statusCode() + ")");
            }
            if (h1.version() != HttpClient.Version.HTTP_1_1) {
                return Outcome.fail("an HTTP/1.1 client got " + h1.version());
            }
            if (h2.statusCode() != 200 || h1.statusCode() != 200) {
                return Outcome.fail("the upstream's echo answered " + h2.statusCode() + " over h2, "
                        + h1.statusCode() + " over http/1.1");
            }
            String[] hostPort = hostAndPort.split(":");
            Long connect = H2ServerSettings.read(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), tls)
                    .get(H2ServerSettings.ENABLE_CONNECT_PROTOCOL);
            if (connect != null && connect != 0) {
                return Outcome.fail("announces WebSockets over HTTP/2 (SETTINGS_ENABLE_CONNECT_PROTOCOL = " + connect
                        + "): browsers would open live events over h2");
            }
            return Outcome.pass("HTTP_2 and HTTP_1_1 on the same port, both reach the upstream; "
                    + "no SETTINGS_ENABLE_CONNECT_PROTOCOL, so browsers open WebSockets over http/1.1");
        } catch (IOException e) {
            return Outcome.fail("GET over TLS failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.fail("interrupted");
        }
    }

    /**
     * A handshake without the session cookie, over a raw socket so the exact status line is seen:
     * Tower answers 403 and the proxy must pass that on (and never open a tunnel for it).
     */
    Outcome refusedHandshake(String path) {
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + hostAndPort + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "Origin: " + scheme() + "://" + hostAndPort + "\r\n"
                + "\r\n";
        String[] hostPort = hostAndPort.split(":");
        try (Socket socket = tls == null ? new Socket() : tls.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 10_000);
            socket.setSoTimeout(20_000);
            if (socket instanceof SSLSocket ssl) {
                // As a browser opens a WebSocket: its own connection, http/1.1 only.
                SSLParameters parameters = ssl.getSSLParameters();
                parameters.setApplicationProtocols(new String[] {"http/1.1"});
                ssl.setSSLParameters(parameters);
                ssl.startHandshake();
            }
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = readLine(socket.getInputStream());
            String[] parts = statusLine.split(" ");
            if (parts.length < 2) {
                return Outcome.fail("no HTTP status line: '" + statusLine + "'");
            }
            return parts[1].equals("403")
                    ? Outcome.pass("handshake answered HTTP 403")
                    : Outcome.fail("handshake answered HTTP " + parts[1]);
        } catch (IOException e) {
            return Outcome.fail("handshake failed: " + e);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }
}
