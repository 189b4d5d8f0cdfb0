package io.towerrelay.proxy;

import io.towerrelay.edge.Refusal;
import io.towerrelay.logging.ExchangeRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Answers a request itself with a short text body naming the reason (a {@link Refusal}); never reads the request
 * body, and closes the connection afterwards when the refusal says so.
 */
final class FixedResponseHandler implements AsyncServerExchangeHandler {
    private final ProxyServices services;
    private final Refusal refusal;
    private final ExchangeRecord record = new ExchangeRecord();
    private final ByteBuffer body;

    FixedResponseHandler(ProxyServices services, Refusal refusal) {
        this.services = services;
        this.refusal = refusal;
        this.body = ByteBuffer.wrap((refusal.status() + " " + refusal.reason() + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public synchronized void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel channel,
            HttpContext context) throws HttpException, IOException {
        record.begin(request, context);
        record.status = refusal.status();
        record.error = refusal.reason();
        BasicHttpResponse response = new BasicHttpResponse(refusal.status());
        ContentType type = ContentType.TEXT_PLAIN.withCharset(StandardCharsets.UTF_8);
        response.setHeader(HttpHeaders.CONTENT_TYPE, type.toString());
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        if (refusal.close() || entityDetails != null) {
            response.setHeader(HttpHeaders.CONNECTION, "close");
        }
        if (refusal.status() == 405) {
            response.setHeader(HttpHeaders.ALLOW, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        }
        channel.sendResponse(response, new org.apache.hc.core5.http.impl.BasicEntityDetails(body.remaining(), type), context);
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) {
        // Never ask for the request body: the connection closes after the answer.
    }

    @Override
    public synchronized void consume(ByteBuffer src) {
        record.bytesIn += src.remaining();
        src.position(src.limit());
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) {}

    @Override
    public synchronized int available() {
        return body.remaining();
    }

    @Override
    public synchronized void produce(DataStreamChannel channel) throws IOException {
        record.bytesOut += channel.write(body);
        if (!body.hasRemaining()) {
            channel.endStream();
        }
    }

    @Override
    public synchronized void failed(Exception cause) {
        record.error = refusal.reason() + "; then: " + cause.getMessage();
    }

    @Override
    public synchronized void releaseResources() {
        services.finish(record);
    }
}
