package io.towerrelay.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.towerrelay.common.RelayVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpStatus;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.impl.bootstrap.AsyncServerBootstrap;
import org.apache.hc.core5.http.impl.bootstrap.HttpAsyncServer;
import org.apache.hc.core5.http.nio.AsyncRequestConsumer;
import org.apache.hc.core5.http.nio.AsyncServerRequestHandler;
import org.apache.hc.core5.http.nio.entity.DiscardingEntityConsumer;
import org.apache.hc.core5.http.nio.support.AsyncResponseBuilder;
import org.apache.hc.core5.http.nio.support.BasicRequestConsumer;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.net.URIAuthority;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.reactor.ListenerEndpoint;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The admin listener: {@code GET /healthz} (JSON: each upstream node with its state and last health check; 200
 * while at least one node takes traffic, else 503) and
 * {@code GET /metrics} (Prometheus text: the relay's metrics, then the process and JVM ones). Separate from the
 * public listener so it can stay on loopback.
 */
public final class AdminServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_HOST = "tower-relay-admin";

    private final HttpAsyncServer server;
    private final InetSocketAddress address;

    private AdminServer(HttpAsyncServer server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /** Binds {@code bind} (port 0 allowed) and serves until closed. */
    public static AdminServer start(InetSocketAddress bind, RelayMetrics metrics, UpstreamProbe upstream,
            long startNanos) throws IOException {
        HttpAsyncServer server = AsyncServerBootstrap.bootstrap()
                // SO_REUSEADDR: a load balancer's health checks leave this port's closed connections in TIME_WAIT;
                // without it a restarted relay cannot bind its admin port for a minute.
                .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).setSoTimeout(Timeout.ofSeconds(30))
                        .setSoReuseAddress(true).build())
                // Any Host: scrapers address the admin port by IP, which the stock router would answer with 421.
                .setCanonicalHostName(ADMIN_HOST)
                .setAuthorityResolver((scheme, authority) -> new URIAuthority(ADMIN_HOST))
                .register("/metrics", handler((request, trigger, context) -> trigger.submitResponse(
                        AsyncResponseBuilder.create(HttpStatus.SC_OK)
                                .setEntity(metrics.render(uptime(startNanos)) + RuntimeMetrics.shared().render(),
                                        ContentType.parse(PrometheusText.CONTENT_TYPE))
                                .build(), context)))
                .register("/healthz", handler((request, trigger, context) -> upstream.refresh(() -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    int status = health(metrics, startNanos, body::putAll);
                    try {
                        trigger.submitResponse(AsyncResponseBuilder.create(status)
                                .setEntity(json(body) + "\n", ContentType.APPLICATION_JSON).build(), context);
                    } catch (HttpException | IOException e) {
                        // the admin client went away; nothing to tell it
                    }
                })))
                .register("*", handler((request, trigger, context) -> trigger.submitResponse(
                        AsyncResponseBuilder.create(404).setEntity("404 not found: try /healthz or /metrics\n",
                                ContentType.TEXT_PLAIN).build(), context)))
                .create();
        server.start();
        try {
            ListenerEndpoint endpoint = server.listen(bind, URIScheme.HTTP).get();
            return new AdminServer(server, (InetSocketAddress) endpoint.getAddress());
        } catch (ExecutionException e) {
            server.close(CloseMode.IMMEDIATE);
            throw new IOException("cannot listen on " + bind + " (admin): " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            server.close(CloseMode.IMMEDIATE);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the admin listener", e);
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.initiateShutdown();
        try {
            server.awaitShutdown(TimeValue.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close(CloseMode.IMMEDIATE);
    }

    private static double uptime(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** A GET-only handler that ignores any request body. */
    private static AsyncServerRequestHandler<Message<HttpRequest, Void>> handler(Responder responder) {
        return new AsyncServerRequestHandler<>() {
            @Override
            public AsyncRequestConsumer<Message<HttpRequest, Void>> prepare(HttpRequest request,
                    org.apache.hc.core5.http.EntityDetails entityDetails, HttpContext context) {
                return new BasicRequestConsumer<>(entityDetails == null ? null : new DiscardingEntityConsumer<>());
            }

            @Override
            public void handle(Message<HttpRequest, Void> message, ResponseTrigger trigger, HttpContext context)
                    throws HttpException, IOException {
                HttpRequest request = message.getHead();
                if (!Method.GET.isSame(request.getMethod()) && !Method.HEAD.isSame(request.getMethod())) {
                    trigger.submitResponse(AsyncResponseBuilder.create(405).setHeader("Allow", "GET, HEAD")
                            .setEntity("405 only GET\n", ContentType.TEXT_PLAIN).build(), context);
                    return;
                }
                responder.respond(request, trigger, context);
            }
        };
    }

    @FunctionalInterface
    private interface Responder {
        void respond(HttpRequest request, AsyncServerRequestHandler.ResponseTrigger trigger, HttpContext context)
                throws HttpException, IOException;
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fills {@code out} with the /healthz document and returns its status: 200 while a node takes traffic. */
    static int health(RelayMetrics metrics, long startNanos, java.util.function.Consumer<Map<String, Object>> out) {
        List<UpstreamNodeStatus> nodes = metrics.upstreamNodes();
        long available = nodes.stream().filter(UpstreamNodeStatus::available).count();
        boolean ok = available > 0;
        Map<String, Object> upstream = new LinkedHashMap<>();
        upstream.put("url", nodes.isEmpty() ? null : nodes.get(0).url());
        upstream.put("reachable", ok);
        upstream.put("nodes_available", available);
        upstream.put("nodes_total", nodes.size());
        if (!ok) {
            upstream.put("error", nodes.isEmpty() ? "no upstream node"
                    : "no upstream node is up and taking traffic (see nodes)");
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (UpstreamNodeStatus node : nodes) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("node", node.node());
            entry.put("url", node.url());
            entry.put("state", node.state());
            entry.put("up", node.up());
            entry.put("draining", node.draining());
            entry.put("reason", node.reason());
            entry.put("since", node.since().toString());
            UpstreamNodeStatus.LastCheck check = node.lastCheck();
            if (check == null) {
                entry.put("last_check", null);
            } else {
                Map<String, Object> last = new LinkedHashMap<>();
                last.put("at", check.at().toString());
                last.put("passed", check.passed());
                last.put("detail", check.detail());
                last.put("duration_ms", check.millis());
                entry.put("last_check", last);
            }
            entry.put("requests_in_flight", node.inFlight());
            entry.put("websocket_tunnels", node.openTunnels());
            list.add(entry);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "ok" : "upstream_unreachable");
        body.put("version", RelayVersion.current());
        body.put("upstream", upstream);
        body.put("nodes", list);
        body.put("uptime_seconds", Math.round(uptime(startNanos) * 1000) / 1000.0);
        body.put("active_connections", metrics.activeConnections());
        body.put("active_websocket_tunnels", metrics.activeTunnels());
        out.accept(body);
        return ok ? 200 : 503;
    }
}
