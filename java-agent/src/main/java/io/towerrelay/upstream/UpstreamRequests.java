package io.towerrelay.upstream;

import io.towerrelay.common.ClientEndpoint;
import io.towerrelay.http.ForwardedHeaders;
import io.towerrelay.http.HeaderRemoval;
import io.towerrelay.http.HopByHopHeaders;
import io.towerrelay.http.RelayRequest;
import java.net.URI;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.net.URIAuthority;

/**
 * Builds the upstream-bound request head from the client's: same method and origin-form target, end-to-end
 * headers only (hop-by-hop and Connection-named ones dropped, which also drops Upgrade/Connection), the client's
 * Host kept (Tower's CSRF check compares Origin with Host), X-Forwarded-* set. The WebSocket tunnel uses the same
 * head and adds {@code Upgrade}/{@code Connection} back itself.
 */
public final class UpstreamRequests {
    private final URI upstream;
    /** Made once: a request without an authority of its own (every origin-form one) takes this. */
    private final URIAuthority upstreamAuthority;
    private final ForwardedHeaders forwarded;
    private final String listenerScheme;

    /**
     * @param upstream the upstream base URL (scheme, host, port)
     * @param forwarded the X-Forwarded-* rules
     * @param listenerScheme {@code https} when clients reach the relay over TLS, else {@code http}
     */
    public UpstreamRequests(URI upstream, ForwardedHeaders forwarded, String listenerScheme) {
        this.upstream = upstream;
        this.upstreamAuthority = new URIAuthority(upstream.getHost(), upstream.getPort());
        this.forwarded = forwarded;
        this.listenerScheme = listenerScheme;
    }

    /** The head to send upstream for {@code incoming}, which arrived on the connection described by {@code context}. */
    public HttpRequest create(HttpRequest incoming, HttpContext context) {
        BasicHttpRequest outgoing = new RelayRequest(incoming.getMethod(), (String) null);
        // setPath, not the constructor: that parses the path as a URI again, and "//x/y" would lose "//x".
        outgoing.setPath(incoming.getPath());
        outgoing.setScheme(upstream.getScheme());
        Header host = incoming.getFirstHeader(HttpHeaders.HOST);
        outgoing.setAuthority(incoming.getAuthority() != null ? incoming.getAuthority() : upstreamAuthority);
        HopByHopHeaders.copyEndToEnd(incoming, outgoing);
        // Framing is regenerated from the streamed body; the relay already answered any Expect: 100-continue.
        HeaderRemoval.removeAll(outgoing, HttpHeaders.CONTENT_LENGTH);
        HeaderRemoval.removeAll(outgoing, HttpHeaders.EXPECT);
        if (host == null) {
            outgoing.setHeader(HttpHeaders.HOST, upstreamAuthority.toString());
        } else if (!outgoing.containsHeader(HttpHeaders.HOST)) {
            // "Connection: Host" made copyEndToEnd drop it; Host describes the request, not the connection, and
            // Tower would answer 400 without it (found by fuzzing).
            outgoing.setHeader(host);
        }
        ClientEndpoint client = ClientEndpoint.of(context);
        forwarded.apply(incoming, outgoing, client.remote(), client.local(), listenerScheme);
        return outgoing;
    }
}
