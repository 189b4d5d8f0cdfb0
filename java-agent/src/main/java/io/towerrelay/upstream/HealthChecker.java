package io.towerrelay.upstream;

import io.towerrelay.config.Durations;
import io.towerrelay.config.HealthCheckConfig;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.nio.entity.DiscardingEntityConsumer;
import org.apache.hc.core5.http.nio.support.BasicClientExchangeHandler;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.apache.hc.core5.http.nio.support.BasicResponseConsumer;
import org.apache.hc.core5.http.protocol.HttpCoreContext;

/**
 * Active health checks: every {@code interval}, {@code GET path} to each node on a new connection (a pooled one
 * could be stale and fail a healthy node), passed on a 2xx or 3xx answer within {@code timeout}. The node counts
 * passes and failures in a row ({@link Node#checkPassed}, {@link Node#checkFailed}). Draining nodes are checked
 * too, so /healthz shows whether they could come back. A node whose check is still running is not checked again.
 */
public final class HealthChecker implements AutoCloseable {
    private final Nodes nodes;
    private final UpstreamClient client;
    private final HealthCheckConfig config;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "upstream-health");
        t.setDaemon(true);
        return t;
    });
    private final Map<Node, Boolean> running = new ConcurrentHashMap<>();

    public HealthChecker(Nodes nodes, UpstreamClient client, HealthCheckConfig config) {
        this.nodes = nodes;
        this.client = client;
        this.config = config;
    }

    /** Checks every node now and then every interval. */
    public void start() {
        long every = config.interval().toMilliseconds();
        timer.scheduleWithFixedDelay(this::checkAll, 0, every, TimeUnit.MILLISECONDS);
    }

    private void checkAll() {
        for (Node node : nodes.all()) {
            if (running.putIfAbsent(node, Boolean.TRUE) == null) {
                check(node);
            }
        }
    }

    private void check(Node node) {
        long started = System.nanoTime();
        AtomicBoolean done = new AtomicBoolean();
        AsyncClientEndpoint[] endpoint = new AsyncClientEndpoint[1];
        Runnable release = () -> {
            AsyncClientEndpoint ep;
            synchronized (endpoint) {
                ep = endpoint[0];
                endpoint[0] = null;
            }
            if (ep != null) {
                ep.releaseAndDiscard();
            }
        };
        java.util.function.BiConsumer<Boolean, String> finish = (passed, detail) -> {
            if (done.compareAndSet(false, true)) {
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                if (passed) {
                    node.checkPassed(detail, millis);
                } else {
                    node.checkFailed(detail, millis);
                }
                running.remove(node);
                release.run();
            }
        };
        timer.schedule(() -> finish.accept(false, "no answer to GET " + config.path() + " within "
                + Durations.format(config.timeout()) + " (upstream.health-check.timeout)"),
                config.timeout().toMilliseconds(), TimeUnit.MILLISECONDS);
        try {
            client.connectFresh(node, config.timeout(), new FutureCallback<>() {
                @Override
                public void completed(AsyncClientEndpoint ep) {
                    synchronized (endpoint) {
                        endpoint[0] = ep;
                    }
                    if (done.get()) {
                        release.run();
                        return;
                    }
                    send(node, ep, finish);
                }

                @Override
                public void failed(Exception ex) {
                    finish.accept(false, describe(node, ex));
                }

                @Override
                public void cancelled() {
                    finish.accept(false, "check cancelled");
                }
            });
        } catch (RuntimeException ex) {
            finish.accept(false, describe(node, ex)); // the requester is shutting down
        }
    }

    private void send(Node node, AsyncClientEndpoint ep, java.util.function.BiConsumer<Boolean, String> finish) {
        BasicHttpRequest request = new BasicHttpRequest("GET", config.path());
        request.setHeader(HttpHeaders.HOST, node.name());
        request.setHeader(HttpHeaders.USER_AGENT, "tower-relay-health-check");
        request.setHeader(HttpHeaders.ACCEPT, "application/json");
        ep.execute(new BasicClientExchangeHandler<>(new BasicRequestProducer(request, null),
                new BasicResponseConsumer<>(new DiscardingEntityConsumer<>()),
                new FutureCallback<Message<HttpResponse, Void>>() {
                    @Override
                    public void completed(Message<HttpResponse, Void> result) {
                        int status = result.getHead().getCode();
                        finish.accept(status >= 200 && status < 400, "GET " + config.path() + " answered " + status);
                    }

                    @Override
                    public void failed(Exception ex) {
                        finish.accept(false, describe(node, ex));
                    }

                    @Override
                    public void cancelled() {
                        finish.accept(false, "check cancelled");
                    }
                }), null, HttpCoreContext.create());
    }

    private String describe(Node node, Exception ex) {
        return UpstreamFailure.describe(ex, node);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
