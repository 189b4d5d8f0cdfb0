package io.towerrelay.h2;

import io.towerrelay.http.ResponseDate;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequestInterceptor;
import org.apache.hc.core5.http.HttpResponseInterceptor;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.protocol.HttpProcessor;
import org.apache.hc.core5.http.protocol.HttpProcessorBuilder;
import org.apache.hc.core5.http2.protocol.H2RequestConformance;
import org.apache.hc.core5.http2.protocol.H2ResponseConnControl;
import org.apache.hc.core5.net.URIAuthority;

/**
 * How requests that arrive over HTTP/2 are made to look like the HTTP/1.1 requests the proxying rules expect, and
 * how responses are framed for HTTP/2.
 */
public final class H2Messages {
    private H2Messages() {
    }

    /**
     * An HTTP/2 request names its host in {@code :authority}; browsers send no {@code Host}. Tower checks Origin
     * against Host (CSRF) and the relay's rules (Host kept, X-Forwarded-Host) read Host, so Host is set from
     * {@code :authority}. A Host that names another authority is refused (RFC 9113 §8.3.1: the request is
     * malformed), and so is a request with neither.
     */
    static final HttpRequestInterceptor HOST_FROM_AUTHORITY = (request, entity, context) -> {
        URIAuthority authority = request.getAuthority();
        var host = request.getFirstHeader(HttpHeaders.HOST);
        if (authority == null) {
            if (host == null) {
                throw new ProtocolException("request without :authority or Host");
            }
            return;
        }
        String value = authority.getHostName() + (authority.getPort() >= 0 ? ":" + authority.getPort() : "");
        if (host == null) {
            request.addHeader(HttpHeaders.HOST, value);
        } else if (!host.getValue().trim().equalsIgnoreCase(value)) {
            throw new ProtocolException("Host (" + host.getValue() + ") differs from :authority (" + value + ")");
        }
    };

    /**
     * HTTP/2 frames bodies itself: no Transfer-Encoding, and Content-Length only when the upstream's length is
     * known (the client then knows how much is coming, as over HTTP/1.1).
     */
    static final HttpResponseInterceptor FRAMING = (response, entity, context) -> {
        // Connection-specific headers are malformed in HTTP/2 (RFC 9113 §8.2.2). The relay's own answers say
        // "Connection: close" when an HTTP/1.1 connection must end; over HTTP/2 only the stream ends.
        for (String name : new String[] {HttpHeaders.CONNECTION, HttpHeaders.KEEP_ALIVE, "Proxy-Connection",
                HttpHeaders.TRANSFER_ENCODING, HttpHeaders.UPGRADE}) {
            response.removeHeaders(name);
        }
        if (entity == null) {
            return; // keep a Content-Length that describes a body not sent (HEAD, 304)
        }
        response.removeHeaders(HttpHeaders.CONTENT_LENGTH);
        if (entity.getContentLength() >= 0 && !entity.isChunked()) {
            response.setHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(entity.getContentLength()));
        }
    };

    /** The HTTP/2 server side's processor: request conformance (RFC 9113 §8.2.2) and Host, response framing. */
    public static HttpProcessor serverProcessor() {
        return HttpProcessorBuilder.create()
                .add(H2RequestConformance.INSTANCE)
                .add(HOST_FROM_AUTHORITY)
                .add(ResponseDate.RESPONSE)
                .add(FRAMING)
                .add(H2ResponseConnControl.INSTANCE)
                .build();
    }
}
