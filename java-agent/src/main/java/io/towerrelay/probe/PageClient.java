package io.towerrelay.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSession;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.cookie.BasicCookieStore;
import org.apache.hc.client5.http.cookie.Cookie;
import org.apache.hc.client5.http.entity.UrlEncodedFormEntity;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.message.BasicNameValuePair;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.util.Timeout;

/**
 * The HTTP side of the probe (httpclient5): loads Tower's page like a browser, keeps its cookies, logs in
 * when given credentials, and asks the mock Tower what reached it.
 */
final class PageClient implements Closeable {

    private static final int BODY_SNIPPET = 600;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProbeOptions options;
    private final BasicCookieStore cookies = new BasicCookieStore();
    private final CloseableHttpClient client;
    private final AtomicReference<TlsSession> lastTls = new AtomicReference<>();

    PageClient(ProbeOptions options) {
        this.options = options;
        Timeout timeout = Timeout.of(options.timeout());
        var tls = ClientTlsStrategyBuilder.create().setSslContext(TlsTrust.context(options));
        if (options.insecure()) {
            tls.setHostVerificationPolicy(HostnameVerificationPolicy.CLIENT).setHostnameVerifier(NoopHostnameVerifier.INSTANCE);
        }
        this.client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setTlsSocketStrategy(tls.buildClassic())
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(timeout).setSocketTimeout(timeout).build())
                        .build())
                .setDefaultCookieStore(cookies)
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(timeout).build())
                .setUserAgent(ProbeSocket.USER_AGENT)
                .addResponseInterceptorLast((response, entity, context) -> {
                    SSLSession session = HttpCoreContext.cast(context).getSSLSession();
                    if (session != null) {
                        lastTls.set(new TlsSession(describe(session), !options.insecure()));
                    }
                })
                .disableAutomaticRetries()
                .build();
    }

    /** GET the page like a browser: follow redirects, keep cookies. */
    PageEvidence fetchPage() {
        HttpClientContext context = HttpClientContext.create();
        try {
            return client.execute(new HttpGet(options.url()), context, response -> {
                URI finalUrl = options.url();
                if (context.getRedirectLocations() != null && !context.getRedirectLocations().getAll().isEmpty()) {
                    List<URI> all = context.getRedirectLocations().getAll();
                    finalUrl = all.get(all.size() - 1);
                }
                Header server = response.getFirstHeader(HttpHeaders.SERVER);
                return new PageEvidence(finalUrl, response.getCode(), server == null ? null : server.getValue(),
                        cookieNames(), snippet(response), lastTls.get(), null);
            });
        } catch (IOException e) {
            return new PageEvidence(options.url(), 0, null, cookieNames(), "", null, TransportError.of(e));
        }
    }

    /**
     * Logs in the way the Tower UI does (Django's form at /api/login/ with the CSRF token), so the WebSocket
     * gets a session cookie. Used only when credentials were given and the page set no session.
     */
    void login(URI base) {
        URI loginUrl = base.resolve(TowerProtocol.LOGIN_PATH);
        try {
            client.execute(new HttpGet(loginUrl), response -> {
                EntityUtils.consume(response.getEntity());
                return null;
            });
            HttpPost post = new HttpPost(loginUrl);
            post.setEntity(new UrlEncodedFormEntity(List.of(
                    new BasicNameValuePair("username", options.user()),
                    new BasicNameValuePair("password", options.password()),
                    new BasicNameValuePair("next", "/api/")), StandardCharsets.UTF_8));
            post.setHeader("X-CSRFToken", cookie(TowerProtocol.CSRF_COOKIE));
            post.setHeader(HttpHeaders.REFERER, loginUrl.toString());
            post.setHeader("Origin", BrowserHeaders.origin(base));
            client.execute(post, response -> {
                EntityUtils.consume(response.getEntity());
                return null;
            });
        } catch (IOException e) {
            // The handshake check reports the missing session; the login error itself adds nothing an admin can use.
        }
    }

    /**
     * The {@code active_node} of Tower's {@code /api/v2/ping/}: which node of a cluster answered through the proxy.
     * Null when the ping gives none (not Tower, not JSON, an error).
     */
    String activeNode(URI base) {
        try {
            return client.execute(new HttpGet(base.resolve(TowerProtocol.PING_PATH)), response -> {
                String body = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity());
                if (response.getCode() != 200) {
                    return null;
                }
                try {
                    com.fasterxml.jackson.databind.JsonNode node = new com.fasterxml.jackson.databind.ObjectMapper()
                            .readTree(body).path("active_node");
                    return node.isTextual() ? node.asText() : null;
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    return null;
                }
            });
        } catch (IOException e) {
            return null;
        }
    }

    /** Asks the mock Tower's echo endpoint what request headers reached it through the proxy. */
    EchoEvidence echo(URI base) {
        String hostSent = BrowserHeaders.host(base);
        try {
            return client.execute(new HttpGet(base.resolve(TowerProtocol.ECHO_PATH)), response -> {
                String body = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity());
                if (response.getCode() != 200) {
                    return EchoEvidence.unavailable(response.getCode(), hostSent);
                }
                Map<String, String> seen = EchoParser.headers(body);
                if (seen == null) {
                    return EchoEvidence.unavailable(response.getCode(), hostSent);
                }
                int[] csrf = new int[1];
                String answer = csrfPost(base, csrf);
                return new EchoEvidence(200, hostSent, seen, csrf[0], answer, upgradeEcho(base));
            });
        } catch (IOException e) {
            return EchoEvidence.unavailable(0, hostSent);
        }
    }

    /**
     * Sends the echo endpoint a GET carrying the WebSocket upgrade headers, to see which of them the proxy
     * passes on (and over which HTTP version). Null when that request does not come back as an echo.
     */
    private UpgradeEcho upgradeEcho(URI base) {
        HttpGet get = new HttpGet(base.resolve(TowerProtocol.ECHO_PATH));
        get.setHeader(HttpHeaders.UPGRADE, "websocket");
        get.setHeader(HttpHeaders.CONNECTION, "Upgrade");
        try {
            return client.execute(get, response -> {
                String body = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity());
                Map<String, String> seen = response.getCode() == 200 ? EchoParser.headers(body) : null;
                String version = EchoParser.httpVersion(body);
                return seen == null || version == null ? null
                        : new UpgradeEcho(version, seen.get("upgrade"), seen.get("connection"));
            });
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * A same-origin POST as the UI makes it (Origin, X-CSRFToken, cookies): Tower's CSRF check refuses it
     * with 403 when the proxy rewrote Host. Only sent to the echo endpoint, which changes nothing.
     */
    private String csrfPost(URI base, int[] status) {
        HttpPost post = new HttpPost(base.resolve(TowerProtocol.ECHO_PATH));
        post.setHeader("Origin", BrowserHeaders.origin(base));
        post.setHeader(HttpHeaders.REFERER, base.toString());
        String token = cookie(TowerProtocol.CSRF_COOKIE);
        if (token != null) {
            post.setHeader("X-CSRFToken", token);
        }
        try {
            return client.execute(post, response -> {
                status[0] = response.getCode();
                return snippet(response);
            });
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads REMOTE_HOST_HEADERS with basic auth; {@link SettingsEvidence#NOT_READ} without credentials. */
    SettingsEvidence settings(URI base) {
        if (!options.hasCredentials()) {
            return SettingsEvidence.NOT_READ;
        }
        HttpGet get = new HttpGet(base.resolve(TowerProtocol.SETTINGS_PATH));
        String basic = options.user() + ":" + options.password();
        get.setHeader(HttpHeaders.AUTHORIZATION,
                "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
        try {
            return client.execute(get, response -> {
                String body = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity());
                if (response.getCode() != 200) {
                    return new SettingsEvidence(response.getCode(), null);
                }
                JsonNode headers = JSON.readTree(body).path("REMOTE_HOST_HEADERS");
                List<String> values = new ArrayList<>();
                headers.forEach(v -> values.add(v.asText()));
                return new SettingsEvidence(200, headers.isArray() ? values : null);
            });
        } catch (IOException e) {
            return SettingsEvidence.NOT_READ;
        }
    }

    /** Cookies for a request to the page's host, in the order they were set. */
    Map<String, String> cookiesFor(URI uri) {
        Map<String, String> result = new LinkedHashMap<>();
        for (Cookie c : cookies.getCookies()) {
            if (c.getDomain() == null || uri.getHost().equalsIgnoreCase(c.getDomain())
                    || uri.getHost().toLowerCase(Locale.ROOT).endsWith("." + c.getDomain())) {
                result.put(c.getName(), c.getValue());
            }
        }
        return result;
    }

    String cookie(String name) {
        return cookies.getCookies().stream().filter(c -> c.getName().equals(name)).map(Cookie::getValue)
                .findFirst().orElse(null);
    }

    private Set<String> cookieNames() {
        Set<String> names = new HashSet<>();
        cookies.getCookies().forEach(c -> names.add(c.getName()));
        return names;
    }

    private static String snippet(ClassicHttpResponse response) throws IOException {
        if (response.getEntity() == null) {
            return "";
        }
        String body;
        try {
            body = EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
        } catch (org.apache.hc.core5.http.ParseException e) {
            return "";
        }
        return body.length() > BODY_SNIPPET ? body.substring(0, BODY_SNIPPET) : body;
    }

    private static String describe(SSLSession session) {
        String peer;
        try {
            var cert = (java.security.cert.X509Certificate) session.getPeerCertificates()[0];
            peer = cert.getSubjectX500Principal().getName() + ", issued by " + cert.getIssuerX500Principal().getName();
        } catch (Exception e) {
            peer = "(peer certificate not available)";
        }
        return session.getProtocol() + ", " + peer;
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
