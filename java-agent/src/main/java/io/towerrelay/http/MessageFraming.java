package io.towerrelay.http;

import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpMessage;
import org.apache.hc.core5.http.HttpRequestInterceptor;
import org.apache.hc.core5.http.HttpResponseInterceptor;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ProtocolVersion;

/**
 * Sets Content-Length / Transfer-Encoding from the body the relay is about to stream. HttpCore5's stock
 * RequestContent / ResponseContent refuse a message that already carries Content-Length, and with
 * {@code overwrite} they would turn a HEAD or 304 response's Content-Length into 0; a proxy must keep that header
 * when there is no body and regenerate framing only when there is one.
 */
public final class MessageFraming {
    private MessageFraming() {}

    public static final HttpRequestInterceptor REQUEST = (request, entity, context) -> frame(request, entity, request.getVersion());

    public static final HttpResponseInterceptor RESPONSE = (response, entity, context) -> {
        ProtocolVersion version = context == null ? null : context.getProtocolVersion();
        frame(response, entity, version);
    };

    private static void frame(HttpMessage message, EntityDetails entity, ProtocolVersion version) {
        HeaderRemoval.removeAll(message, HttpHeaders.TRANSFER_ENCODING);
        if (entity == null) {
            return; // keep a Content-Length that describes a body not sent (HEAD, 304) or an empty one
        }
        HeaderRemoval.removeAll(message, HttpHeaders.CONTENT_LENGTH);
        long length = entity.getContentLength();
        if (length >= 0 && !entity.isChunked()) {
            message.setHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
        } else if (version == null || !version.lessEquals(HttpVersion.HTTP_1_0)) {
            message.setHeader(HttpHeaders.TRANSFER_ENCODING, "chunked");
        }
    }
}
