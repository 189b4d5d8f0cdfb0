package io.towerrelay.upstream;

import io.towerrelay.config.Durations;
import io.towerrelay.config.HealthCheckConfig;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
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
 * Each round checks the nodes listed then, so after a reload added nodes are checked and removed ones no longer;
 * a lone node is not checked in the background (see {@link Nodes}).
 */
public final class HealthChecker implements AutoCloseable {
    private final Nodes nodes;
    private final UpstreamClient client;
    private volatile HealthCheckConfig config;
    private ScheduledFuture<?> rounds;
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

    /** Checks every node now and then every interval; again after a reload, no-op when already running. */
    public synchronized void start() {
        if (rounds != null || timer.isShutdown()) {
            return;
        }
        long every = config.interval().toMilliseconds();
        rounds = timer.scheduleWithFixedDelay(this::checkAll, 0, every, TimeUnit.MILLISECONDS);
    }

    /** A reload: path and timeout from the next check on; a new interval restarts the rounds (if running). */
    public synchronized void update(HealthCheckConfig next) {
        HealthCheckConfig old = config;
        config = next;
        if (rounds != null && old.interval().toMilliseconds() != next.interval().toMilliseconds()) {
            rounds.cancel(false);
            rounds = null;
            start();
        }
    }

    private void checkAll() {
        java.util.List<Node> all = nodes.all();
        if (all.size() < 2) {
            return; // a lone node is used whatever its state (reloaded down to one node)
        }
        for (Node node : all) {
            if (running.putIfAbsent(node, Boolean.TRUE) == null) {
                check(node);
            }
        }
    }

    private void check(Node node) {
        HealthCheckConfig config = this.config;
        Check check = new Check(node, config);
        timer.schedule(() -> check.finish(false, "no answer to GET " + config.path() + " within "
                + Durations.format(config.timeout()) + " (upstream.health-check.timeout)"),
                config.timeout().toMilliseconds(), TimeUnit.MILLISECONDS);
        try {
            client.connectFresh(node, config.timeout(), check.failingWith(check::send));
        } catch (RuntimeException ex) {
            check.finish(false, UpstreamFailure.describe(ex, node)); // the requester is shutting down
        }
    }

    /** One check of one node: it ends once, by its answer, a failure or the timeout, and closes its connection. */
    private final class Check {
        private final Node node;
        private final HealthCheckConfig config;
        private final long started = System.nanoTime();
        private final AtomicBoolean done = new AtomicBoolean();
        private AsyncClientEndpoint endpoint;

        Check(Node node, HealthCheckConfig config) {
            this.node = node;
            this.config = config;
        }

        void send(AsyncClientEndpoint ep) {
            synchronized (this) {
                endpoint = ep;
            }
            if (done.get()) {
                release();
                return;
            }
            BasicHttpRequest request = new BasicHttpRequest("GET", config.path());
            request.setHeader(HttpHeaders.HOST, node.name());
            request.setHeader(HttpHeaders.USER_AGENT, "tower-relay-health-check");
            request.setHeader(HttpHeaders.ACCEPT, "application/json");
            ep.execute(new BasicClientExchangeHandler<>(new BasicRequestProducer(request, null),
                    new BasicResponseConsumer<>(new DiscardingEntityConsumer<>()),
                    failingWith((Message<HttpResponse, Void> answer) -> {
                        int status = answer.getHead().getCode();
                        finish(status >= 200 && status < 400, "GET " + config.path() + " answered " + status);
                    })), null, HttpCoreContext.create());
        }

        /** A callback that passes its result on, and ends the check as failed on an error or a cancel. */
        <T> FutureCallback<T> failingWith(java.util.function.Consumer<T> onResult) {
            return new FutureCallback<>() {
                @Override
                public void completed(T result) {
                    onResult.accept(result);
                }

                @Override
                public void failed(Exception ex) {
                    finish(false, UpstreamFailure.describe(ex, node));
                }

                @Override
                public void cancelled() {
                    finish(false, "check cancelled");
                }
            };
        }

        void finish(boolean passed, String detail) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (passed) {
                node.checkPassed(detail, millis);
            } else {
                node.checkFailed(detail, millis);
            }
            running.remove(node);
            release();
        }

        private void release() {
            AsyncClientEndpoint ep;
            synchronized (this) {
                ep = endpoint;
                endpoint = null;
            }
            if (ep != null) {
                ep.releaseAndDiscard();
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
