package io.towerrelay.edge;

import io.towerrelay.http.HeadSyntax;
import io.towerrelay.config.LimitsConfig;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.Iterator;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.Locale;
import java.util.Optional;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ProtocolVersion;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.net.URIAuthority;

/**
 * Checks a request head before anything goes upstream: this is a reverse proxy for one Tower, so CONNECT and
 * absolute-form requests for other hosts are refused (never an open proxy), and oversized heads get 414 / 431.
 */
public final class RequestScreen {
    /** Replaced by a reload; read once per request. */
    private volatile LimitsConfig limits;
    /** Connections answered with close; weak so that a closed connection's entry goes with its duplexer. */
    private final Set<EndpointDetails> closing = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    public RequestScreen(LimitsConfig limits) {
        this.limits = limits;
    }

    /** A reload: the limits for requests from now on. */
    public void limits(LimitsConfig next) {
        this.limits = next;
    }

    /**
     * As {@link #check(HttpRequest)}, and once a request on a connection was refused with close, every request
     * pipelined after it on that connection is refused too: HttpCore5 still dispatches requests it had already read
     * before the {@code Connection: close} answer went out, and those must never reach Tower (request smuggling).
     */
    public Optional<Refusal> check(HttpRequest request, HttpContext context) {
        EndpointDetails connection = HttpCoreContext.cast(context).getEndpointDetails();
        ProtocolVersion version = HttpCoreContext.cast(context).getProtocolVersion();
        if (version != null && version.getMajor() >= 2) {
            connection = null; // HTTP/2: a refusal ends its stream only, and nothing is pipelined behind it
        }
        if (connection != null && closing.contains(connection)) {
            return Optional.of(new Refusal(400, "request pipelined after a refused request on a closing connection", true));
        }
        Optional<Refusal> refusal = check(request);
        if (connection != null && refusal.isPresent() && refusal.get().close()) {
            closing.add(connection);
        }
        return refusal;
    }

    public Optional<Refusal> check(HttpRequest request) {
        LimitsConfig limits = this.limits;
        String method = request.getMethod();
        if (Method.CONNECT.isSame(method)) {
            return Optional.of(new Refusal(405, "CONNECT refused: tower-relay is a reverse proxy, not a forward proxy", true));
        }
        Optional<String> malformed = HeadSyntax.problem(request);
        if (malformed.isPresent()) {
            return Optional.of(new Refusal(400, "malformed request: " + malformed.get(), true));
        }
        String target = request.getRequestUri();
        int requestLine = method.length() + 1 + (target == null ? 0 : target.length()) + 1 + 8;
        if (requestLine > limits.maxRequestLineBytes()) {
            return Optional.of(new Refusal(414, "request line is " + requestLine + " bytes, over limits.max-request-line-bytes ("
                    + limits.maxRequestLineBytes() + ")", true));
        }
        long headerBytes = 0;
        int hosts = 0;
        for (Iterator<Header> it = request.headerIterator(); it.hasNext(); ) {
            Header h = it.next();
            headerBytes += h.getName().length() + 2 + (h.getValue() == null ? 0 : h.getValue().length()) + 2;
            if (h.getName().equalsIgnoreCase("Host")) {
                hosts++;
            }
        }
        if (headerBytes > limits.maxHeaderBytes()) {
            return Optional.of(new Refusal(431, "request headers are " + headerBytes + " bytes, over limits.max-header-bytes ("
                    + limits.maxHeaderBytes() + ")", true));
        }
        if (hosts > 1) {
            return Optional.of(new Refusal(400, "more than one Host header", true));
        }
        Header host = request.getFirstHeader("Host");
        if (host == null && !HttpVersion.HTTP_1_0.equals(request.getVersion())) {
            return Optional.of(new Refusal(400, "no Host header", true));
        }
        if (host != null && !validAuthority(host.getValue())) {
            return Optional.of(new Refusal(400, "invalid Host header", true));
        }
        URIAuthority authority = request.getAuthority();
        if (request.getScheme() != null && authority != null && host != null && !sameAuthority(authority, host.getValue())) {
            // Absolute-form naming a host other than the Host header: a client using us as a forward proxy.
            // Not authority.toString(): that runs IDN.toASCII, which throws on some names (found by fuzzing).
            String named = authority.getHostName() + (authority.getPort() >= 0 ? ":" + authority.getPort() : "");
            return Optional.of(new Refusal(400, "absolute-form request for another host (" + named
                    + ") refused: tower-relay is a reverse proxy, not an open proxy", true));
        }
        return Optional.empty();
    }

    private static boolean validAuthority(String value) {
        if (isPlainHostAndPort(value)) {
            return true; // the usual Host, without building the URIAuthority the full check below makes per request
        }
        if (!HeadSyntax.isVisibleAscii(value.trim())) {
            return false; // uri-host is ASCII (RFC 3986 reg-name: percent-encoded otherwise)
        }
        try {
            URIAuthority.create(value.trim());
            return true;
        } catch (URISyntaxException | IllegalArgumentException e) {
            // HttpCore5 refuses a port out of 0-65535 with IllegalArgumentException (found by fuzzing).
            return false;
        }
    }

    /**
     * A name of letters, digits, dots, hyphens and underscores, starting with a letter or digit, with an optional
     * port of 1-5 digits up to 65535: a shape {@link URIAuthority#create} always accepts (no user info, no
     * delimiters, a port in range), so the answer is the same as the full check's.
     */
    static boolean isPlainHostAndPort(String value) {
        int n = value.length();
        if (n == 0 || !isLetterOrDigit(value.charAt(0))) {
            return false;
        }
        int i = 1;
        while (i < n) {
            char c = value.charAt(i);
            if (c == ':') {
                break;
            }
            if (!isLetterOrDigit(c) && c != '.' && c != '-' && c != '_') {
                return false;
            }
            i++;
        }
        if (i == n) {
            return true;
        }
        int digits = n - i - 1;
        if (digits < 1 || digits > 5) {
            return false;
        }
        int port = 0;
        for (int j = i + 1; j < n; j++) {
            char c = value.charAt(j);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }

    private static boolean isLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean sameAuthority(URIAuthority authority, String hostHeader) {
        String host = hostHeader.trim().toLowerCase(Locale.ROOT);
        String expected = authority.getHostName().toLowerCase(Locale.ROOT);
        if (authority.getPort() >= 0) {
            return host.equals(expected + ":" + authority.getPort());
        }
        return host.equals(expected) || host.startsWith(expected + ":");
    }
}
