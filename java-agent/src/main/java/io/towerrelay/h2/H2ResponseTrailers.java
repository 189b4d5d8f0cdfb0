package io.towerrelay.h2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * An exchange handler as HTTP/2 streams need it: response trailers go out with lower-case names and without
 * connection-specific fields. HttpCore5 lowers the names of a response head for HTTP/2 but encodes trailers as
 * given, and Tower (an HTTP/1.1 server) may send {@code X-Checksum}: an upper-case name makes the stream
 * malformed (RFC 9113 §8.2.1) and the client resets it. Everything else is the wrapped handler's.
 */
final class H2ResponseTrailers implements AsyncServerExchangeHandler {
    private static final Set<String> CONNECTION_SPECIFIC = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "upgrade", "te", "trailer");

    private final AsyncServerExchangeHandler handler;

    private H2ResponseTrailers(AsyncServerExchangeHandler handler) {
        this.handler = handler;
    }

    /** Wraps every handler {@code exchanges} makes. */
    static HandlerFactory<AsyncServerExchangeHandler> of(HandlerFactory<AsyncServerExchangeHandler> exchanges) {
        return (request, context) -> {
            AsyncServerExchangeHandler h = exchanges.create(request, context);
            return h == null ? null : new H2ResponseTrailers(h);
        };
    }

    static List<Header> forHttp2(List<? extends Header> trailers) {
        if (trailers == null) {
            return null;
        }
        List<Header> out = new ArrayList<>(trailers.size());
        for (Header h : trailers) {
            String name = h.getName().toLowerCase(Locale.ROOT);
            if (!CONNECTION_SPECIFIC.contains(name)) {
                out.add(new BasicHeader(name, h.getValue()));
            }
        }
        return out;
    }

    @Override
    public void produce(DataStreamChannel channel) throws IOException {
        handler.produce(new DataStreamChannel() {
            @Override
            public void requestOutput() {
                channel.requestOutput();
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return channel.write(src);
            }

            @Override
            public void endStream(List<? extends Header> trailers) throws IOException {
                channel.endStream(forHttp2(trailers));
            }

            @Override
            public void endStream() throws IOException {
                channel.endStream();
            }
        });
    }

    @Override
    public void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel responseChannel,
            HttpContext context) throws HttpException, IOException {
        handler.handleRequest(request, entityDetails, responseChannel, context);
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
        handler.updateCapacity(capacityChannel);
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
        handler.consume(src);
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
        handler.streamEnd(trailers);
    }

    @Override
    public int available() {
        return handler.available();
    }

    @Override
    public void failed(Exception cause) {
        handler.failed(cause);
    }

    @Override
    public void releaseResources() {
        handler.releaseResources();
    }
}
