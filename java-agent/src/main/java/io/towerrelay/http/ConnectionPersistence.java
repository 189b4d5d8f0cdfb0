package io.towerrelay.http;

import org.apache.hc.core5.http.ConnectionReuseStrategy;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.HttpResponseInterceptor;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.http.ProtocolVersion;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;

/**
 * Whether a client connection stays open after an answer, and the {@code Connection} header that tells the client
 * (RFC 9112 section 9.3): the rules of HttpCore5's {@code ResponseConnControl} and
 * {@code DefaultConnectionReuseStrategy}, without their header-element parsing of the request on every answer (6 %
 * of the I/O threads' samples for small keep-alive answers, JFR). The request's {@code Connection} tokens are read
 * only when it has that header.
 */
public final class ConnectionPersistence {
    private ConnectionPersistence() {}

    /**
     * Sets {@code Connection} on an answer that has none: {@code close} after a status that ends the connection
     * (400, 408, 411, 413, 414, 501, 503; set even over the answer's own), when the client asked for it, or for an
     * HTTP/1.0 client that did not ask for keep-alive or whose body length is unknown; {@code keep-alive} to an
     * HTTP/1.0 client that asked for it; {@code upgrade} on an answer with {@code Upgrade}.
     */
    public static final HttpResponseInterceptor RESPONSE = (response, entity, context) -> {
        int status = response.getCode();
        if (status == 400 || status == 408 || status == 411 || status == 413 || status == 414 || status == 501
                || status == 503) {
            response.setHeader(HttpHeaders.CONNECTION, "close");
            return;
        }
        if (response.containsHeader(HttpHeaders.CONNECTION)) {
            return;
        }
        boolean http10 = version(context).lessEquals(HttpVersion.HTTP_1_0);
        if (entity != null && entity.getContentLength() < 0 && http10) {
            response.setHeader(HttpHeaders.CONNECTION, "close");
            return;
        }
        HttpRequest request = context == null ? null : HttpCoreContext.cast(context).getRequest();
        if (request != null && HopByHopHeaders.hasConnectionToken(request, "close")) {
            response.addHeader(HttpHeaders.CONNECTION, "close");
        } else if (response.containsHeader(HttpHeaders.UPGRADE)) {
            response.addHeader(HttpHeaders.CONNECTION, "upgrade");
        } else if (request != null && HopByHopHeaders.hasConnectionToken(request, "keep-alive")) {
            response.addHeader(HttpHeaders.CONNECTION, "keep-alive");
        } else if (http10) {
            response.addHeader(HttpHeaders.CONNECTION, "close");
        }
    };

    /**
     * Whether the connection may carry another request after {@code response} (with {@link #RESPONSE} applied): not
     * when either side said {@code close}, an HTTP/1.0 answer did not say {@code keep-alive}, the request's framing
     * was doubtful, or the answer's body is not delimited (no single Content-Length and not chunked).
     */
    public static final ConnectionReuseStrategy REUSE = (request, response, context) -> {
        if (request != null) {
            if (request.containsHeader(HttpHeaders.CONTENT_LENGTH) && request.containsHeader(HttpHeaders.TRANSFER_ENCODING)) {
                return false;
            }
            if (HopByHopHeaders.hasConnectionToken(request, "close")) {
                return false;
            }
        }
        boolean chunked = response.containsHeader(HttpHeaders.TRANSFER_ENCODING);
        if (!chunked && mayHaveBody(request, response) && response.countHeaders(HttpHeaders.CONTENT_LENGTH) != 1) {
            return false;
        }
        ProtocolVersion version = response.getVersion() != null ? response.getVersion() : version(context);
        boolean http11 = version.greaterEquals(HttpVersion.HTTP_1_1);
        if (!http11 && chunked) {
            return false;
        }
        return http11 ? !HopByHopHeaders.hasConnectionToken(response, "close")
                : HopByHopHeaders.hasConnectionToken(response, "keep-alive");
    };

    private static ProtocolVersion version(HttpContext context) {
        ProtocolVersion version = context == null ? null : context.getProtocolVersion();
        return version != null ? version : HttpVersion.HTTP_1_1;
    }

    private static boolean mayHaveBody(HttpRequest request, HttpResponse response) {
        int status = response.getCode();
        if (request != null && Method.HEAD.isSame(request.getMethod())) {
            return false;
        }
        return status >= 200 && status != 204 && status != 304;
    }
}
