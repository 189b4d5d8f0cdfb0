package io.towerrelay.proxy;

import java.io.IOException;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HeaderElements;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.MalformedChunkCodingException;
import org.apache.hc.core5.http.MessageConstraintException;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncPushProducer;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * The 400 that RFC 9112 asks for when a chunked request body turns out malformed (chunk size not hex or over 64
 * bits, no CRLF after the data, a chunk or trailer line over the limit, a trailer line that is not a field). HttpCore5 finds these only while decoding
 * the body, after the exchange started, and then just fails the exchange and closes the connection. This channel
 * wraps the exchange's response channel to know whether a response was started; if none was, {@link #answer}
 * sends a bodiless {@code 400} with {@code Connection: close}, which HttpCore5 writes out at once (a response
 * without a body is flushed immediately) before it closes. If one was started, the close is all that can be done.
 */
final class BodyFramingAnswer implements ResponseChannel {
    private final ResponseChannel channel;
    private volatile boolean started;

    BodyFramingAnswer(ResponseChannel channel) {
        this.channel = channel;
    }

    /**
     * True for the errors HttpCore5 raises while decoding a chunked request body: malformed chunk lines (and a body
     * cut short), lines over the limit, and trailer fields that do not parse (wrapped in a plain IOException).
     */
    static boolean isBodyFramingError(Exception cause) {
        return cause instanceof MalformedChunkCodingException || cause instanceof MessageConstraintException
                || (cause instanceof IOException && cause.getCause() instanceof ParseException);
    }

    /** Sends the 400 if no response was started; true if it did. */
    boolean answer(HttpContext context) {
        if (started) {
            return false;
        }
        HttpResponse response = new BasicHttpResponse(400, "Bad Request");
        response.setHeader(HttpHeaders.CONNECTION, HeaderElements.CLOSE);
        response.setHeader(HttpHeaders.CONTENT_LENGTH, "0");
        try {
            sendResponse(response, null, context);
            return true;
        } catch (HttpException | IOException | RuntimeException e) {
            return false; // the connection is going anyway
        }
    }

    @Override
    public void sendInformation(HttpResponse response, HttpContext context) throws HttpException, IOException {
        channel.sendInformation(response, context);
    }

    @Override
    public void sendResponse(HttpResponse response, EntityDetails entityDetails, HttpContext context)
            throws HttpException, IOException {
        started = true;
        channel.sendResponse(response, entityDetails, context);
    }

    @Override
    public void pushPromise(HttpRequest promise, AsyncPushProducer pushProducer, HttpContext context)
            throws HttpException, IOException {
        channel.pushPromise(promise, pushProducer, context);
    }
}
