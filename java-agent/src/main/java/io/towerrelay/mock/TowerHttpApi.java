package io.towerrelay.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The plain HTTP side of the mock: the job output page and the few API endpoints AWX's proxies touch. */
final class TowerHttpApi {

    static final String VERSION = "23.9.0";
    private static final Set<String> UNSAFE_METHODS = Set.of("POST", "PUT", "PATCH", "DELETE");
    private static final List<String> ROUTES = List.of(
            "/", "/api/", "/api/v2/", "/api/v2/ping/", "/api/v2/mock/echo/", "/api/v2/settings/system/");

    private final MockTowerOptions options;
    private final Sessions sessions;
    private final SystemSettings settings;
    private final byte[] page;
    private final Instant started = Instant.now();

    TowerHttpApi(MockTowerOptions options, Sessions sessions, SystemSettings settings) {
        this.options = options;
        this.sessions = sessions;
        this.settings = settings;
        this.page = loadPage();
    }

    HttpResponse handle(HttpRequest request) {
        String method = request.methodUpperCase();
        if (UNSAFE_METHODS.contains(method)) {
            HttpResponse refused = csrfOriginCheck(request);
            if (refused != null) {
                return refused;
            }
        }
        String path = request.path();
        switch (path) {
            case "/":
                return onlyGet(request, () -> page(request));
            case "/api/":
                return onlyGet(request, () -> HttpResponse.json(200, Map.of(
                        "description", "AWX REST API (mock-tower)",
                        "current_version", "/api/v2/",
                        "available_versions", Map.of("v2", "/api/v2/"))));
            case "/api/v2/":
                return onlyGet(request, () -> HttpResponse.json(200, Map.of(
                        "ping", "/api/v2/ping/", "settings", "/api/v2/settings/")));
            case "/api/v2/ping/":
                return onlyGet(request, this::ping);
            case "/api/v2/mock/echo/":
                return echo(request);
            case "/api/v2/settings/system/":
                return systemSettings(request);
            default:
                // Django's APPEND_SLASH: a known route without its trailing slash redirects.
                if (!path.endsWith("/") && ROUTES.contains(path + "/")) {
                    String query = request.query().isEmpty() ? "" : "?" + request.query();
                    return HttpResponse.text(301, "moved to " + path + "/").withHeader("Location", path + "/" + query);
                }
                return HttpResponse.json(404, Map.of("detail", "Not found."));
        }
    }

    private interface ResponseSupplier {
        HttpResponse get();
    }

    private static HttpResponse onlyGet(HttpRequest request, ResponseSupplier supplier) {
        String method = request.methodUpperCase();
        if (method.equals("GET") || method.equals("HEAD")) {
            return supplier.get();
        }
        return methodNotAllowed(method, "GET, HEAD");
    }

    private static HttpResponse methodNotAllowed(String method, String allow) {
        return HttpResponse.json(405, Map.of("detail", "Method \"" + method + "\" not allowed."))
                .withHeader("Allow", allow);
    }

    /** The page, with the cookies AWX's login would have set (the mock needs no login form). */
    private HttpResponse page(HttpRequest request) {
        Sessions.Session session = sessions.find(request.cookie("awx_sessionid").orElse(null))
                .orElseGet(sessions::create);
        return new HttpResponse(200, List.of(
                        new HttpHeader("Content-Type", "text/html; charset=utf-8"),
                        new HttpHeader("Cache-Control", "no-store"),
                        new HttpHeader("Set-Cookie", "awx_sessionid=" + session.id + "; Path=/; HttpOnly; SameSite=Lax"),
                        new HttpHeader("Set-Cookie", "csrftoken=" + session.csrfToken + "; Path=/; SameSite=Lax")),
                page);
    }

    private HttpResponse ping() {
        Map<String, Object> instance = new LinkedHashMap<>();
        instance.put("node", options.nodeName());
        instance.put("node_type", "hybrid");
        instance.put("uuid", "00000000-0000-4000-8000-000000000001");
        instance.put("heartbeat", Instant.now().toString());
        instance.put("capacity", 57);
        instance.put("version", VERSION);
        Map<String, Object> ping = new LinkedHashMap<>();
        ping.put("ha", false);
        ping.put("version", VERSION);
        ping.put("active_node", options.nodeName());
        ping.put("install_uuid", "00000000-0000-4000-8000-000000000000");
        ping.put("started", started.toString());
        ping.put("instances", List.of(instance));
        ping.put("instance_groups", List.of(Map.of("name", "controlplane", "capacity", 57, "instances", List.of(options.nodeName()))));
        return HttpResponse.json(200, ping);
    }

    /** What arrived, exactly: tests read this to see what a proxy forwarded. */
    private HttpResponse echo(HttpRequest request) {
        List<Map<String, String>> headers = new ArrayList<>();
        for (HttpHeader h : request.headers()) {
            headers.add(Map.of("name", h.name(), "value", h.value()));
        }
        Map<String, Object> echo = new LinkedHashMap<>();
        echo.put("request_line", request.requestLine());
        echo.put("method", request.method());
        echo.put("path", request.path());
        echo.put("query", request.query());
        echo.put("http_version", request.version());
        echo.put("headers", headers);
        echo.put("remote_addr", request.peer().getAddress().getHostAddress());
        echo.put("remote_port", request.peer().getPort());
        echo.put("remote_host", ClientAddress.resolve(request, settings));
        echo.put("body_bytes", request.body().length);
        echo.put("body", new String(request.body(), StandardCharsets.UTF_8));
        echo.put("active_node", options.nodeName());
        return HttpResponse.json(200, echo);
    }

    private HttpResponse systemSettings(HttpRequest request) {
        String method = request.methodUpperCase();
        if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("PATCH")) {
            return methodNotAllowed(method, "GET, HEAD, PATCH");
        }
        HttpResponse refused = basicAuth(request);
        if (refused != null) {
            return refused;
        }
        if (method.equals("PATCH")) {
            String contentType = request.header("Content-Type").orElse("application/json");
            if (!contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
                return HttpResponse.json(415, Map.of("detail", "Unsupported media type \"" + contentType + "\" in request."));
            }
            JsonNode body;
            try {
                body = Json.read(new String(request.body(), StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                return HttpResponse.json(400, Map.of("detail", "JSON parse error - " + e.getOriginalMessage()));
            } catch (IOException e) {
                return HttpResponse.json(400, Map.of("detail", "JSON parse error"));
            }
            if (body == null || !body.isObject()) {
                return HttpResponse.json(400, Map.of("non_field_errors", List.of("Invalid data. Expected a dictionary.")));
            }
            Map<String, List<String>> errors = settings.patch(body);
            if (!errors.isEmpty()) {
                return HttpResponse.json(400, errors);
            }
        }
        return HttpResponse.json(200, settings.snapshot());
    }

    private HttpResponse basicAuth(HttpRequest request) {
        String authorization = request.header("Authorization").orElse("");
        if (!authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return HttpResponse.json(401, Map.of("detail", "Authentication credentials were not provided."))
                    .withHeader("WWW-Authenticate", "Basic realm=\"api\"");
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(authorization.substring(6).strip());
        } catch (IllegalArgumentException e) {
            given = new byte[0];
        }
        byte[] expected = (options.adminUser() + ":" + options.adminPassword()).getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, expected)) {
            return HttpResponse.json(401, Map.of("detail", "Invalid username/password."))
                    .withHeader("WWW-Authenticate", "Basic realm=\"api\"");
        }
        return null;
    }

    /**
     * Django's CSRF Origin check: an unsafe request whose Origin is neither this Host nor one of
     * CSRF_TRUSTED_ORIGINS is refused. A proxy that rewrites Host to the upstream's name causes this.
     */
    private HttpResponse csrfOriginCheck(HttpRequest request) {
        String origin = request.header("Origin").orElse(null);
        if (origin == null) {
            return null;
        }
        String host = request.header("Host").orElse("");
        if (sameHost(origin, host) || trusted(origin)) {
            return null;
        }
        return HttpResponse.json(403, Map.of("detail",
                "CSRF Failed: Origin checking failed - " + origin + " does not match any trusted origins."));
    }

    static boolean sameHost(String origin, String hostHeader) {
        URI uri;
        try {
            uri = URI.create(origin);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (uri.getHost() == null || uri.getScheme() == null) {
            return false;
        }
        int defaultPort = uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
        int originPort = uri.getPort() == -1 ? defaultPort : uri.getPort();
        String hostName = hostHeader;
        int hostPort = -1;
        int colon = hostHeader.lastIndexOf(':');
        if (colon > 0 && hostHeader.indexOf(']', colon) < 0) {
            hostName = hostHeader.substring(0, colon);
            try {
                hostPort = Integer.parseInt(hostHeader.substring(colon + 1));
            } catch (NumberFormatException e) {
                return false;
            }
        }
        boolean samePort = hostPort == -1 ? originPort == defaultPort : hostPort == originPort;
        return samePort && uri.getHost().equalsIgnoreCase(hostName);
    }

    private boolean trusted(String origin) {
        for (String entry : settings.get("CSRF_TRUSTED_ORIGINS")) {
            if (entry.equalsIgnoreCase(origin)) {
                return true;
            }
            int wildcard = entry.indexOf("://*.");
            if (wildcard > 0) {
                String scheme = entry.substring(0, wildcard + 3);
                String suffix = entry.substring(wildcard + 4);
                if (origin.regionMatches(true, 0, scheme, 0, scheme.length())
                        && origin.toLowerCase(Locale.ROOT).endsWith(suffix.toLowerCase(Locale.ROOT))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static byte[] loadPage() {
        try (InputStream in = TowerHttpApi.class.getResourceAsStream("job-output.html")) {
            if (in == null) {
                throw new IllegalStateException("job-output.html is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
