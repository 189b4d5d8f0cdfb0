package io.towerrelay.tunnel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.impl.bootstrap.AsyncServerBootstrap;
import org.apache.hc.core5.http.impl.bootstrap.HttpAsyncServer;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;
import org.apache.hc.core5.http.nio.ssl.BasicServerTlsStrategy;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.reactor.ListenerEndpoint;
import org.apache.hc.core5.util.Timeout;

/**
 * A minimal server wired the way the relay core wires the tunnel: the tunnels' session listener on the
 * bootstrap, upgrades (after the core's header transformation) to the handshake handler, every other request
 * answered {@code 200 relay-http <path>} so that tests can see the connection still speaks HTTP.
 */
final class TestRelay implements AutoCloseable {

    final WebSocketTunnels tunnels;
    final HttpAsyncServer server;
    final InetSocketAddress address;
    final List<String> events = new CopyOnWriteArrayList<>();

    TestRelay(TunnelSettings settings, SSLContext listenerTls) throws Exception {
        tunnels = new WebSocketTunnels(settings, new TunnelListener() {
            @Override
            public void opened(TunnelInfo info) {
                events.add("opened " + info.path());
            }

            @Override
            public void refused(TunnelInfo info, int status, String reason) {
                events.add("refused " + status + " " + info.path());
            }

            @Override
            public void closed(TunnelInfo info, TunnelStats stats) {
                events.add("closed " + info.path() + " " + stats.closedBy() + " " + stats.bytesFromClient() + " " + stats.bytesToClient());
            }
        });
        tunnels.start();
        AsyncServerBootstrap bootstrap = AsyncServerBootstrap.bootstrap()
                .setIOReactorConfig(IOReactorConfig.custom().setSoTimeout(Timeout.ofSeconds(30))
                        .setIoThreadCount(2).build())
                .setIOSessionListener(tunnels.sessionListener())
                .setIOSessionDecorator(tunnels.sessionDecorator())
                .setRequestRouter((request, context) -> WebSocketTunnels.isWebSocketUpgrade(request)
                        ? () -> new Transforming(tunnels.newHandshakeHandler())
                        : PlainAnswer::new);
        if (listenerTls != null) {
            bootstrap.setTlsStrategy(new BasicServerTlsStrategy(listenerTls));
        }
        server = bootstrap.create();
        server.start();
        ListenerEndpoint endpoint = server.listen(new InetSocketAddress("127.0.0.1", 0),
                listenerTls != null ? URIScheme.HTTPS : URIScheme.HTTP).get();
        address = (InetSocketAddress) endpoint.getAddress();
    }

    static TunnelSettings settings(URI upstream, SSLContext upstreamTls) {
        return TunnelSettings.defaults(upstream, upstreamTls);
    }

    URI uri(String scheme, String path) {
        return URI.create(scheme + "://127.0.0.1:" + address.getPort() + path);
    }

    @Override
    public void close() {
        server.close(CloseMode.IMMEDIATE);
        tunnels.close(CloseMode.IMMEDIATE);
    }

    /** What the core does before handing an upgrade over: strip hop-by-hop headers, set X-Forwarded-For. */
    private static final class Transforming implements AsyncServerExchangeHandler {
        private final AsyncServerExchangeHandler delegate;

        Transforming(AsyncServerExchangeHandler delegate) {
            this.delegate = delegate;
        }

        @Override
        public void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel responseChannel,
                                  HttpContext context) throws HttpException, IOException {
            BasicHttpRequest upstream = new BasicHttpRequest(request.getMethod(), request.getPath());
            Set<String> dropped = MessageHeads.connectionScoped(request);
            for (Header header : request.getHeaders()) {
                if (!dropped.contains(header.getName().toLowerCase(Locale.ROOT))) {
                    upstream.addHeader(header);
                }
            }
            upstream.setHeader("X-Forwarded-For",
                    ((InetSocketAddress) HttpCoreContext.cast(context).getEndpointDetails().getRemoteAddress())
                            .getAddress().getHostAddress());
            delegate.handleRequest(upstream, entityDetails, responseChannel, context);
        }

        @Override
        public void failed(Exception cause) {
            delegate.failed(cause);
        }

        @Override
        public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
            delegate.updateCapacity(capacityChannel);
        }

        @Override
        public void consume(ByteBuffer src) throws IOException {
            delegate.consume(src);
        }

        @Override
        public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
            delegate.streamEnd(trailers);
        }

        @Override
        public int available() {
            return delegate.available();
        }

        @Override
        public void produce(DataStreamChannel channel) throws IOException {
            delegate.produce(channel);
        }

        @Override
        public void releaseResources() {
            delegate.releaseResources();
        }
    }

    /** Stands in for the proxied HTTP answer. */
    private static final class PlainAnswer implements AsyncServerExchangeHandler {
        private volatile org.apache.hc.core5.http.nio.AsyncEntityProducer body;

        @Override
        public void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel responseChannel,
                                  HttpContext context) throws HttpException, IOException {
            String upgrade = request.getFirstHeader("Upgrade") == null ? "" : " upgrade=" + request.getFirstHeader("Upgrade").getValue();
            body = AsyncEntityProducers.create("relay-http " + request.getPath() + upgrade, ContentType.TEXT_PLAIN);
            responseChannel.sendResponse(new BasicHttpResponse(200), body, context);
        }

        @Override
        public void failed(Exception cause) {
        }

        @Override
        public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
            capacityChannel.update(Integer.MAX_VALUE);
        }

        @Override
        public void consume(ByteBuffer src) {
            src.position(src.limit());
        }

        @Override
        public void streamEnd(List<? extends Header> trailers) {
        }

        @Override
        public int available() {
            return body == null ? 0 : body.available();
        }

        @Override
        public void produce(DataStreamChannel channel) throws IOException {
            body.produce(channel);
        }

        @Override
        public void releaseResources() {
            if (body != null) {
                body.releaseResources();
            }
        }
    }

    /** Runs a relay in its own JVM (the backpressure test gives it a small heap): prints its port, stops on EOF of stdin. */
    public static void main(String[] args) throws Exception {
        try (TestRelay relay = new TestRelay(settings(URI.create(args[0]), null), null)) {
            System.out.println("LISTENING " + relay.address.getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the parent to close stdin
            }
        }
    }
}
