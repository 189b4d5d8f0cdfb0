package io.towerrelay.proxy;

import io.towerrelay.edge.ConnectionGate;
import io.towerrelay.edge.HeadDeadline;
import io.towerrelay.edge.RequestScreen;
import io.towerrelay.flow.FlowBuffer;
import io.towerrelay.h2.H2Limits;
import io.towerrelay.h2.NegotiatingHandlers;
import io.towerrelay.http.ResponseDate;
import io.towerrelay.http.ForwardedHeaders;
import io.towerrelay.http.ConnectionPersistence;
import io.towerrelay.http.MessageFraming;
import io.towerrelay.logging.AccessLog;
import io.towerrelay.reactor.ReadInterestGate;
import io.towerrelay.tls.ReloadableServerTls;
import io.towerrelay.tls.TlsContexts;
import io.towerrelay.upstream.UpstreamClient;
import io.towerrelay.upstream.UpstreamFailure;
import io.towerrelay.upstream.UpstreamRequests;
import io.towerrelay.logging.BackgroundLog;
import java.time.Duration;
import io.towerrelay.admin.AdminServer;
import io.towerrelay.admin.RelayMetrics;
import io.towerrelay.admin.UpstreamNodeStatus;
import io.towerrelay.admin.UpstreamProbe;
import io.towerrelay.upstream.HealthChecker;
import io.towerrelay.upstream.Node;
import io.towerrelay.upstream.Nodes;
import io.towerrelay.common.UserError;
import io.towerrelay.config.Addresses;
import io.towerrelay.config.ConfigChanges;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.RelayConfigLoader;
import io.towerrelay.edge.ProxyProtocol;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.hc.core5.http.nio.HandlerFactory;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.URIScheme;
import io.towerrelay.reactor.SharedReactor;
import org.apache.hc.core5.function.Callback;
import org.apache.hc.core5.function.Supplier;
import org.apache.hc.core5.http.HttpRequestMapper;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.support.BasicAsyncServerExpectationDecorator;
import org.apache.hc.core5.http.nio.support.DefaultAsyncResponseExchangeHandlerFactory;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.protocol.HttpProcessor;
import org.apache.hc.core5.http.protocol.HttpProcessorBuilder;
import io.towerrelay.server.ServerHttp1Handlers;
import io.towerrelay.server.ServerHttp1Settings;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ListenerEndpoint;
import org.apache.hc.core5.util.TimeValue;
import io.towerrelay.tunnel.TunnelSettings;
import io.towerrelay.tunnel.WebSocketTunnels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay: the public listener (its own HTTP/1.1 server handler, optional TLS and HTTP/2) and the upstream connections on
 * one {@link SharedReactor}, so that a client connection and the upstream connections it uses are served by the
 * same I/O thread, and the admin listener. Built from HttpCore5's parts because its bootstraps give the server and
 * the requester a reactor each. {@link #close()} stops accepting, lets in-flight requests finish within
 * {@code shutdown-grace}, then cuts what is left. {@link #reload} applies a config read again (SIGHUP) to new
 * connections, requests and handshakes without touching open ones.
 */
public final class RelayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RelayServer.class);

    private final RelayReloader reloader;
    private final SharedReactor server;
    private final UpstreamClient upstream;
    private final HealthChecker health;
    private final WebSocketTunnels tunnels;
    private final AdminServer admin;
    private final InetSocketAddress listenAddress;
    private final RelayMetrics metrics;
    private final HeadDeadline headDeadline;
    private final ProxyProtocol proxyProtocol;
    private boolean closed;

    private RelayServer(RelayReloader reloader, SharedReactor server, UpstreamClient upstream, HealthChecker health,
            WebSocketTunnels tunnels,
            AdminServer admin, InetSocketAddress listenAddress, RelayMetrics metrics, HeadDeadline headDeadline,
            ProxyProtocol proxyProtocol) {
        this.proxyProtocol = proxyProtocol;
        this.headDeadline = headDeadline;
        this.tunnels = tunnels;
        this.reloader = reloader;
        this.server = server;
        this.upstream = upstream;
        this.health = health;
        this.admin = admin;
        this.listenAddress = listenAddress;
        this.metrics = metrics;
    }

    /** Binds and starts serving; port 0 binds a free port ({@link #listenAddress()} tells which). */
    public static RelayServer start(RelayConfig config) throws IOException {
        return start(config, System.out);
    }

    /** As {@link #start(RelayConfig)}, with the access log written to {@code accessLogOut}. */
    public static RelayServer start(RelayConfig config, PrintStream accessLogOut) throws IOException {
        if (config.upstream().url() == null) {
            throw new UserError("no upstream: give --upstream URL or upstream.url in the config file");
        }
        if (config.listen().proxyProtocol() && config.forwarded().trustedProxies().isEmpty()) {
            throw new UserError("listen.proxy-protocol is on but forwarded.trusted-proxies is empty: no peer could connect");
        }
        long startNanos = System.nanoTime();
        RelayMetrics metrics = new RelayMetrics();
        SSLContext upstreamTls = TlsContexts.upstream(config.upstream());
        boolean http2 = config.listen().offersHttp2();
        ReloadableServerTls listenerTls = !config.listen().tlsEnabled() ? null
                : new ReloadableServerTls(config.listen().tls(), http2 ? List.of("h2", "http/1.1") : List.of());
        if (config.upstream().https() && !config.upstream().tlsVerify()) {
            LOG.warn("upstream.tls-verify is false: the upstream's certificate is NOT checked; anyone between the relay and {} can read and change the traffic",
                    config.upstream().url());
        }
        Nodes nodes = Nodes.of(config.upstream());
        int ioThreads = config.ioThreadCount();
        UpstreamClient upstream = UpstreamClient.create(config.upstream(), upstreamTls, ioThreads);
        metrics.upstreamPool(upstream::poolStats);
        metrics.upstreamNodes(() -> nodes.all().stream().map(RelayServer::status).toList());
        HealthChecker health = new HealthChecker(nodes, upstream, config.upstream().healthCheck());
        String scheme = listenerTls != null ? "https" : "http";
        ProxyServices services = new ProxyServices(upstream, nodes, config.upstream(),
                new UpstreamRequests(config.upstream().url(), new ForwardedHeaders(config.forwarded()), scheme),
                metrics, new AccessLog(config.accessLog(), accessLogOut));
        AtomicReference<ProxyServices> current = new AtomicReference<>(services);
        RequestScreen screen = new RequestScreen(config.limits());
        HeadDeadline headDeadline = new HeadDeadline(config.limits().headerTimeout());
        ProxyProtocol proxyProtocol = config.listen().proxyProtocol()
                ? new ProxyProtocol(config.forwarded(), config.limits().headerTimeout()) : null;
        WebSocketTunnels tunnels = new WebSocketTunnels(new TunnelSettings(upstreamTls,
                config.upstream().connectTimeout(), config.websocket().handshakeTimeout(),
                config.websocket().idleTimeout(), config.websocket().allowedOrigins(), config.websocket().blockedPaths()),
                nodes, new TunnelObserver(metrics, services.accessLog()));

        Callback<Exception> exceptions = e -> LOG.debug("I/O error: {}", e.toString());
        // Every Host reaches the proxy: the stock router answers 421 to names other than its own.
        HttpRequestMapper<Supplier<AsyncServerExchangeHandler>> router =
                (request, context) -> () -> new RelayDispatcher(current.get(), screen, tunnels, headDeadline, proxyProtocol);
        HandlerFactory<AsyncServerExchangeHandler> exchanges = new DefaultAsyncResponseExchangeHandlerFactory(router,
                handler -> new BasicAsyncServerExpectationDecorator(handler, exceptions));
        // The relay's own HTTP/1.1 server (server.ServerHttp1Handler); the processor's interceptors set the
        // answer's Date, framing and Connection, and log the answers to refused heads.
        HttpProcessor answers = HttpProcessorBuilder.create()
                // Host is checked in RequestScreen, where a refusal also stops what is pipelined behind it.
                .add(ResponseDate.RESPONSE)
                .add(MessageFraming.RESPONSE)
                .add(ConnectionPersistence.RESPONSE)
                .add(new ParserAnswerLog(services, proxyProtocol))
                .build();
        // Long enough for any head RequestScreen answers 414 / 431 with its reason; longer ones get a bare 431.
        int maxHead = 2 * (config.limits().maxRequestLineBytes() + config.limits().maxHeaderBytes());
        ServerHttp1Handlers http1 = new ServerHttp1Handlers(new ServerHttp1Settings(exchanges, answers,
                ConnectionPersistence.REUSE, maxHead, exceptions, headDeadline::idleInput), listenerTls);
        ConnectionGate gate = new ConnectionGate(metrics, config.limits(), headDeadline, proxyProtocol,
                tunnels.sessionListener());
        SharedReactor server = new SharedReactor(
                IOReactorConfig.custom()
                        // Client connections; upstream connections set upstream.response-timeout themselves.
                        .setSoTimeout(config.limits().clientIdleTimeout())
                        .setTcpNoDelay(true)
                        .setSoReuseAddress(true)
                        .setSoKeepAlive(true)
                        // The kernel's keep-alive timings (net.ipv4.tcp_keepalive_*), as NGINX's so_keepalive=on and
                        // HAProxy's clitcpka: HttpCore5's builder defaults (5 s idle, 5 s apart, 3 probes) probed
                        // every idle WebSocket and pooled connection every 5 s, and cost three setsockopt(2) per
                        // accepted connection. Silent tunnels end by websocket.idle-timeout, not by probes.
                        .setTcpKeepIdle(0)
                        .setTcpKeepInterval(0)
                        .setTcpKeepCount(0)
                        // HttpCore5's default (0) leaves the JDK's listen backlog of 50: a burst of reconnecting
                        // browsers (Tower UI tabs after a restart) overflowed it and got resets. The kernel caps
                        // this at net.core.somaxconn.
                        .setBacklogSize(4096)
                        .setIoThreadCount(ioThreads)
                        .build(),
                // TLS with listen.http2: ALPN picks HTTP/2 or HTTP/1.1 per connection; else HTTP/1.1 only.
                http2 ? NegotiatingHandlers.create(http1, exchanges,
                                H2Limits.defaults(config.limits().maxHeaderBytes(), FlowBuffer.HIGH_WATER), listenerTls, exceptions,
                                headDeadline::http2Started)
                        : http1,
                // Client connections: reads are gated on read interest, and on a TLS listener the tunnel records
                // the (gated) TCP session under TLS for its idle timeout and to replace the HTTP handler. With the
                // PROXY protocol on, the innermost wrapper reads the header before the HTTP handler or the TLS
                // layer gets an input event.
                session -> {
                    IOSession gated = new ReadInterestGate(proxyProtocol == null ? session : proxyProtocol.decorate(session));
                    return listenerTls != null ? tunnels.sessionDecorator().decorate(gated) : gated;
                },
                // Upstream connections: reads gated on read interest.
                ReadInterestGate::new,
                gate,
                null,
                exceptions);
        upstream.use(server);
        tunnels.start(server);
        server.start();
        InetSocketAddress bound;
        try {
            ListenerEndpoint endpoint = server.listen(config.listen().address(),
                    listenerTls != null ? URIScheme.HTTPS : URIScheme.HTTP).get();
            bound = (InetSocketAddress) endpoint.getAddress();
        } catch (ExecutionException | InterruptedException e) {
            server.close(CloseMode.IMMEDIATE);
            tunnels.close(CloseMode.IMMEDIATE);
            headDeadline.close();
            health.close();
            closeQuietly(proxyProtocol);
            upstream.close(TimeValue.ZERO_MILLISECONDS);
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new UserError("cannot listen on " + Addresses.format(config.listen().address()) + ": "
                    + (cause instanceof BindException ? cause.getMessage() + " (another process has the port?)" : cause.toString()));
        }

        AdminServer admin = null;
        if (config.admin().enabled()) {
            try {
                admin = AdminServer.start(config.admin().address(), metrics, probe(nodes, upstream), startNanos);
            } catch (IOException e) {
                server.close(CloseMode.IMMEDIATE);
                tunnels.close(CloseMode.IMMEDIATE);
                headDeadline.close();
                health.close();
                closeQuietly(proxyProtocol);
                upstream.close(TimeValue.ZERO_MILLISECONDS);
                throw new UserError(e.getMessage());
            }
        }
        LOG.info("listening on {}://{}{}{}, relaying to {}{}", scheme, Addresses.format(bound),
                http2 ? " (HTTP/2 and HTTP/1.1 by ALPN)" : "",
                proxyProtocol == null ? "" : " (PROXY protocol from " + config.forwarded().trustedProxies() + ")",
                config.upstream().nodes().stream().map(n -> n.url() + (n.drain() ? " (draining)" : ""))
                        .collect(java.util.stream.Collectors.joining(", ")),
                admin == null ? ", admin listener off" : ", admin on http://" + Addresses.format(admin.address()));
        LOG.info("{} serving both sides of every connection (io-threads: {})",
                ioThreads == 1 ? "1 I/O thread" : ioThreads + " I/O threads",
                config.ioThreads() == RelayConfig.AUTO_IO_THREADS ? "auto, one per core" : ioThreads);
        if (nodes.all().size() > 1) {
            health.start(); // one node is used whatever its state: checking it in the background would only add load
        }
        RelayReloader reloader = new RelayReloader(new RelayReloader.Parts(current, screen, gate, headDeadline,
                proxyProtocol, tunnels, upstreamTls, health, listenerTls, services.accessLog(), metrics, scheme), config);
        return new RelayServer(reloader, server, upstream, health, tunnels, admin, bound, metrics, headDeadline, proxyProtocol);
    }

    private static void closeQuietly(ProxyProtocol proxyProtocol) {
        if (proxyProtocol != null) {
            proxyProtocol.close();
        }
    }

    /**
     * A single node is checked when /healthz asks (a connection to it, as a request would get); several are current.
     * Decided per ask: a reload may change how many nodes there are.
     */
    private static UpstreamProbe probe(Nodes nodes, UpstreamClient upstream) {
        return then -> {
            List<Node> all = nodes.all();
            if (all.size() > 1) {
                then.run();
            } else {
                connect(all.get(0), upstream, then);
            }
        };
    }

    private static void connect(Node node, UpstreamClient upstream, Runnable then) {
        upstream.connect(node, new FutureCallback<>() {
            @Override
            public void completed(AsyncClientEndpoint endpoint) {
                endpoint.releaseAndReuse();
                node.reachable();
                then.run();
            }

            @Override
            public void failed(Exception ex) {
                node.unreachable(UpstreamFailure.describe(ex, node));
                then.run();
            }

            @Override
            public void cancelled() {
                then.run();
            }
        });
    }

    private static UpstreamNodeStatus status(Node node) {
        Node.Check check = node.lastCheck();
        return new UpstreamNodeStatus(node.name(), node.url().toString(), node.state(), node.up(), node.draining(),
                node.reason(), node.since(),
                check == null ? null : new UpstreamNodeStatus.LastCheck(check.at(), check.passed(), check.detail(), check.millis()),
                node.inFlight(), node.openTunnels(), node.requests(), node.errors(), node.retries(), node.handshakes());
    }

    /**
     * SIGHUP: reads the config with {@code source} (the same loading and checks as at start) and applies it to new
     * connections, requests and handshakes; open tunnels and in-flight requests go on as they were. Settings that
     * need a restart are a warning each, the rest is applied; the listener's certificate and key are read again.
     * An unusable config is one warning ({@code FILE:LINE: key: what is wrong}) and the relay keeps running as it
     * was. Logs one line saying what changed. Never throws.
     *
     * @param from what the config was read from, for the log (the file)
     * @return what changed, or empty when the config was refused
     */
    public Optional<ConfigChanges> reload(java.util.function.Supplier<RelayConfig> source, String from) {
        return reloader.reload(source, from);
    }

    /** {@link #reload(java.util.function.Supplier, String)} from a config file and nothing else. */
    public Optional<ConfigChanges> reload(Path file) {
        return reload(() -> RelayConfigLoader.load(file), file.toString());
    }

    /** The config the relay runs with now: the last one applied, with restart-only settings as at start. */
    public RelayConfig config() {
        return reloader.running();
    }

    /** The address the public listener is bound to (the real port when 0 was asked for). */
    public InetSocketAddress listenAddress() {
        return listenAddress;
    }

    /** The admin listener's address, or null when it is off. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.address();
    }

    public RelayMetrics metrics() {
        return metrics;
    }

    /** Stops accepting, waits up to shutdown-grace for in-flight exchanges, then closes everything. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("shutting down: no new connections, waiting up to {} for in-flight requests",
                io.towerrelay.config.Durations.format(reloader.running().shutdownGrace()));
        upstream.close(TimeValue.ofSeconds(1)); // no connection goes back to a pool from now on
        server.initiateShutdown();
        try {
            server.awaitShutdown(reloader.running().shutdownGrace());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close(CloseMode.IMMEDIATE);
        headDeadline.close();
        closeQuietly(proxyProtocol);
        tunnels.close(CloseMode.GRACEFUL);
        if (admin != null) {
            admin.close();
        }
        health.close();
        // The last access-log and tunnel lines are still with the log thread, a daemon: write them before exit.
        BackgroundLog.flush(Duration.ofSeconds(2));
        LOG.info("stopped");
    }
}
