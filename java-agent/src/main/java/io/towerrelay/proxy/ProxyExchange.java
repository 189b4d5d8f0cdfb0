package io.towerrelay.proxy;

import io.towerrelay.flow.FlowBuffer;
import io.towerrelay.http.HopByHopHeaders;
import io.towerrelay.logging.ExchangeRecord;
import io.towerrelay.upstream.UpstreamFailure;
import io.towerrelay.logging.BackgroundLog;
import io.towerrelay.reactor.SharedReactor;
import io.towerrelay.upstream.Node;
import io.towerrelay.upstream.RetryPolicy;
import io.towerrelay.upstream.StaleConnectionException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.impl.BasicEntityDetails;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.RequestChannel;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied HTTP exchange. The client side is this {@link AsyncServerExchangeHandler}; the upstream side is
 * {@link UpstreamSide}; both run on the I/O thread that serves the client connection (the shared reactor). Bodies pass through one
 * {@link FlowBuffer} per direction: the reading side is only granted as much capacity as its buffer has room for,
 * and gets more as the writing side drains it, so a slow reader on either end stops the other end's sender
 * instead of filling memory. Shared state is guarded by {@link #lock}, which one thread now takes (uncontended).
 * <p>
 * When the upstream connection fails before any response reached the client, {@link RetryPolicy} decides whether
 * the request goes out once more on a new connection (the stale keep-alive race: an upstream closing a pooled
 * connection just as it is reused). Each attempt has its own {@link UpstreamSide}; callbacks from an abandoned
 * attempt are ignored.
 */
final class ProxyExchange implements AsyncServerExchangeHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyExchange.class);

    private final ProxyServices services;
    private final ExchangeRecord record = new ExchangeRecord();
    /** Tries before {@link #lock()} parks: a few microseconds, about as long as the lock is ever held. */
    private static final int SPINS = 64;

    private final ReentrantLock lock = new ReentrantLock();
    private final FlowBuffer requestBody = new FlowBuffer();
    private final FlowBuffer responseBody = new FlowBuffer();

    // Request direction: client -> upstream.
    private HttpRequest upstreamRequest;
    private EntityDetails requestEntity;
    private boolean requestEnd;
    private List<? extends Header> requestTrailers;
    private boolean requestEndSent;
    private CapacityChannel clientCapacity;
    private DataStreamChannel upstreamOutput;

    // Response direction: upstream -> client.
    private ResponseChannel responseChannel;
    private HttpContext serverContext;
    private boolean responseStarted;
    private boolean responseEnd;
    private List<? extends Header> responseTrailers;
    private boolean responseEndSent;
    private CapacityChannel upstreamCapacity;
    private DataStreamChannel clientOutput;
    /** The response's Content-Length, or -1 when chunked or close-delimited. */
    private long responseLength = -1;
    /** A bodiless upstream response waiting for the upstream connection's release. */
    private HttpResponse bodilessHead;
    /** The upstream broke after the response head went out: the client connection must be cut, not ended. */
    private Exception abortCause;

    // Upstream connection.
    /** How many times the request was sent again (see {@link RetryPolicy}). */
    private int retries;
    /** The node of the current attempt, counted in its in-flight requests until {@link #leaveNode()}. */
    private Node node;
    /** The attempt whose callbacks count; null while connecting. */
    private UpstreamSide activeSide;
    /**
     * A body byte went upstream: the body can no longer be sent again (it is streamed, not kept). An empty body
     * ({@code Content-Length: 0}, which some clients send with a GET) is never started and can be.
     */
    private boolean bodyStarted;
    private AsyncClientEndpoint endpoint;
    private boolean endpointReleased;
    private boolean upstreamDone;
    private boolean clientGone;

    ProxyExchange(ProxyServices services) {
        this.services = services;
    }

    /**
     * Takes {@link #lock}, spinning briefly before parking. The two I/O threads of an exchange hold it only for
     * buffer bookkeeping (microseconds), and parking costs more than that: a futex call on each side and a context
     * switch; in the HTTP profile 36 % of the reactor threads' blocking events were parks on this lock.
     */
    private void lock() {
        for (int i = 0; i < SPINS; i++) {
            if (lock.tryLock()) {
                return;
            }
            Thread.onSpinWait();
        }
        lock.lock();
    }

    // ---- client side (server I/O thread) ----

    @Override
    public void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel channel,
            HttpContext context) {
        handleRequest(request, services.requests().create(request, context), entityDetails, channel, context);
    }

    /** Starts the exchange with an already-built upstream request (the dispatcher built it). */
    void handleRequest(HttpRequest request, HttpRequest outgoing, EntityDetails entityDetails, ResponseChannel channel,
            HttpContext context) {
        lock();
        try {
            record.begin(request, context);
            upstreamRequest = outgoing;
            requestEntity = entityDetails;
            requestEnd = entityDetails == null;
            requestEndSent = entityDetails == null; // no body: the head alone completes the request
            responseChannel = channel;
            serverContext = context;
        } finally {
            lock.unlock();
        }
        connectUpstream(false, null, null);
    }

    /**
     * Chooses a node and leases a pooled connection to it, or for a retry ({@code fresh}) opens one outside the
     * pool, preferring another node than {@code avoid}. With no node to take the request the client gets a 502
     * saying so ({@code previous}, the failure being retried, is then part of it).
     */
    private void connectUpstream(boolean fresh, Node avoid, UpstreamFailure previous) {
        Node chosen = services.nodes().forRequest(avoid);
        if (chosen == null) {
            String none = services.nodes().noneAvailable();
            UpstreamFailure failure = previous == null ? new UpstreamFailure(502, "no_node", none)
                    : new UpstreamFailure(previous.status(), previous.kind(), previous.reason() + "; not retried: " + none);
            answerFailure(failure, new IOException(failure.reason()));
            return;
        }
        lock();
        try {
            if (clientGone) {
                return;
            }
            node = chosen;
            record.upstream = chosen.name();
            record.retries = retries;
        } finally {
            lock.unlock();
        }
        chosen.requestStarted();
        FutureCallback<AsyncClientEndpoint> callback = new FutureCallback<>() {
            @Override
            public void completed(AsyncClientEndpoint result) {
                onConnected(result);
            }

            @Override
            public void failed(Exception ex) {
                onUpstreamFailure(ex, null);
            }

            @Override
            public void cancelled() {
                onUpstreamFailure(new IOException("connection request cancelled"), null);
            }
        };
        if (fresh) {
            services.upstream().connectFresh(chosen, callback);
        } else {
            services.upstream().connect(chosen, callback);
        }
    }

    /** Ends the current attempt's count in its node's in-flight requests (once). */
    private void leaveNode() {
        Node left;
        lock();
        try {
            left = node;
            node = null;
        } finally {
            lock.unlock();
        }
        if (left != null) {
            left.requestEnded();
        }
    }

    @Override
    public void updateCapacity(CapacityChannel channel) throws IOException {
        int room;
        lock();
        try {
            clientCapacity = channel;
            room = upstreamDone ? 0 : requestBody.takeGrant();
        } finally {
            lock.unlock();
        }
        if (room > 0) {
            channel.update(room);
        }
    }

    @Override
    public void consume(ByteBuffer src) {
        DataStreamChannel out;
        lock();
        try {
            record.bytesIn += src.remaining();
            if (upstreamDone || clientGone) {
                src.position(src.limit()); // the exchange is over upstream; the connection closes after the response
                return;
            }
            requestBody.put(src);
            out = upstreamOutput;
        } finally {
            lock.unlock();
        }
        if (out != null) {
            out.requestOutput();
        }
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) {
        DataStreamChannel out;
        lock();
        try {
            requestEnd = true;
            requestTrailers = trailers;
            out = upstreamOutput;
        } finally {
            lock.unlock();
        }
        if (out != null) {
            out.requestOutput();
        }
    }

    @Override
    public int available() {
        lock();
        try {
            if (abortCause != null || (responseEnd && !responseEndSent && responseBody.size() == 0)) {
                return 1;
            }
            return responseBody.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void produce(DataStreamChannel channel) throws IOException {
        int grant = 0;
        CapacityChannel capacity = null;
        lock();
        try {
            clientOutput = channel;
            if (abortCause != null) {
                // Throwing makes HttpCore5 close the client connection, so the client sees a cut, not a short body.
                throw new IOException("upstream failed after the response started: " + abortCause.getMessage(), abortCause);
            }
            int max = Integer.MAX_VALUE;
            if (!responseEnd && responseLength >= 0 && record.bytesOut + responseBody.size() >= responseLength) {
                // The buffer holds the end of a Content-Length body. Keep its last byte until the upstream
                // connection is back in the pool: a client that has every byte sends its next request at once,
                // and that request must find the pooled connection instead of opening another.
                max = responseBody.size() - 1;
            }
            int written = responseBody.writeTo(channel, max);
            record.bytesOut += written;
            if (written > 0 && upstreamCapacity != null && !upstreamDone) {
                grant = responseBody.takeGrant();
                capacity = upstreamCapacity;
            }
            if (responseEnd && !responseEndSent && responseBody.size() == 0) {
                responseEndSent = true;
                channel.endStream(responseTrailers);
            }
        } finally {
            lock.unlock();
        }
        if (grant > 0) {
            // Outside the lock: this wakes the upstream's selector (a syscall), and the upstream thread may be
            // waiting for the lock to hand over its next chunk.
            capacity.update(grant);
        }
    }

    /** RelayDispatcher answered 400 for a malformed request body (BodyFramingAnswer): the log says so, not 499. */
    void answeredMalformedBody(Exception cause) {
        lock();
        try {
            record.status = 400;
            record.error = "malformed chunked request body: " + cause.getMessage();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void failed(Exception cause) {
        lock();
        try {
            clientGone = true;
            if (record.error == null) {
                record.error = "client connection failed: " + cause.getMessage();
            }
        } finally {
            lock.unlock();
        }
        LOG.debug("client {} failed during {} {}: {}", record.remote, record.method, record.target, cause.toString());
        releaseUpstream(false);
    }

    @Override
    public void releaseResources() {
        boolean complete;
        lock();
        try {
            complete = upstreamDone && requestEndSent;
            if (!responseEndSent) {
                clientGone = true;
            }
        } finally {
            lock.unlock();
        }
        releaseUpstream(complete);
        leaveNode();
        lock();
        try {
            services.finish(record);
            // Both directions are over for the client; anything the upstream side still calls finds them empty.
            requestBody.release();
            responseBody.release();
        } finally {
            lock.unlock();
        }
    }

    // ---- upstream events ----

    private void onConnected(AsyncClientEndpoint ep) {
        boolean clientStillThere;
        UpstreamSide side = new UpstreamSide();
        lock();
        try {
            clientStillThere = !clientGone;
            if (clientStillThere) {
                endpoint = ep;
                endpointReleased = false;
                activeSide = side;
            } else {
                endpointReleased = true;
            }
        } finally {
            lock.unlock();
        }
        if (!clientStillThere) {
            // The client left while this connection was being leased or opened. Nothing was sent on it.
            services.upstream().returnUnused(ep);
            return;
        }
        try {
            ep.execute(side, HttpCoreContext.create());
        } catch (IllegalStateException ex) {
            // The client left between the check above and here, and releaseUpstream gave the endpoint back.
            LOG.debug("client {} left before {} {} was sent upstream: {}", record.remote, record.method, record.target, ex.toString());
        }
    }

    /**
     * @param side the attempt that failed, or null when no connection was had (connect or lease failed)
     */
    private void onUpstreamFailure(Exception cause, UpstreamSide side) {
        UpstreamFailure failure;
        Node failedOn;
        AsyncClientEndpoint abandoned = null;
        boolean retry;
        lock();
        try {
            if ((side != null && side != activeSide) || upstreamDone || clientGone || node == null) {
                return; // an attempt already given up for a retry, or the exchange is over
            }
            failedOn = node;
            failure = UpstreamFailure.classify(cause, side == null, services.upstreamConfig(), failedOn);
            boolean sent = side != null && side.headSent;
            retry = RetryPolicy.mayRetry(record.method, new RetryPolicy.Attempt(retries, sent,
                    requestEntity == null || !bodyStarted, responseStarted, sent && "response_timeout".equals(failure.kind())));
            if (retry) {
                retries++;
                if (requestEntity != null) {
                    requestEndSent = false; // the new attempt sends the (unstarted) body and its end again
                }
                activeSide = null;
                upstreamOutput = null;
                upstreamCapacity = null;
                if (!endpointReleased) {
                    abandoned = endpoint;
                }
                endpoint = null;
                endpointReleased = false;
            }
        } finally {
            lock.unlock();
        }
        if (!(cause instanceof StaleConnectionException)) {
            failedOn.requestFailed();
        }
        if (side == null && PASSIVE_DOWN.contains(failure.kind())) {
            failedOn.unreachable(failure.reason()); // real traffic cannot reach it: do not wait for the checks
        }
        if (retry) {
            retryOnNewConnection(failure, cause instanceof StaleConnectionException, abandoned, failedOn);
            return;
        }
        answerFailure(failure, cause);
    }

    /** Failures that show the node cannot be reached at all (not a stale pooled connection, not a slow answer). */
    private static final java.util.Set<String> PASSIVE_DOWN = java.util.Set.of("connect_refused", "connect_timeout", "dns");

    /** The exchange ends in {@code failure}: a 502/504 when nothing was answered yet, else the client is cut. */
    private void answerFailure(UpstreamFailure failure, Exception cause) {
        HttpResponse errorHead = null;
        EntityDetails errorEntity = null;
        DataStreamChannel out = null;
        lock();
        try {
            if (upstreamDone || clientGone) {
                return;
            }
            upstreamDone = true;
            record.error = failure.reason();
            services.metrics().upstreamError(failure.kind());
            if (!responseStarted) {
                responseStarted = true;
                record.status = failure.status();
                byte[] body = (failure.status() + " " + (failure.status() == 504 ? "Gateway Timeout" : "Bad Gateway")
                        + ": " + failure.reason() + "\n").getBytes(StandardCharsets.UTF_8);
                responseBody.put(body);
                responseEnd = true;
                errorHead = new BasicHttpResponse(failure.status());
                errorHead.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
                errorEntity = new BasicEntityDetails(body.length, ContentType.TEXT_PLAIN.withCharset(StandardCharsets.UTF_8));
                errorHead.setHeader(HttpHeaders.CONTENT_TYPE, errorEntity.getContentType());
                if (!requestEnd) {
                    // The client is still sending a body we will not read: end the connection after this answer.
                    errorHead.setHeader(HttpHeaders.CONNECTION, "close");
                }
            } else {
                abortCause = cause;
                out = clientOutput;
            }
        } finally {
            lock.unlock();
        }
        String method = record.method;
        String target = record.target;
        String remote = record.remote;
        // Off the I/O thread: an upstream outage makes this line per request (see BackgroundLog).
        String retried = retries > 0 ? " (after a retry)" : "";
        BackgroundLog.submit(() -> LOG.warn("{} {} {} from {}: {}{}", failure.status(), method, target, remote,
                failure.reason(), retried));
        releaseUpstream(false);
        if (errorHead != null) {
            try {
                responseChannel.sendResponse(errorHead, errorEntity, serverContext);
            } catch (HttpException | IOException e) {
                LOG.debug("could not send {} to {}: {}", failure.status(), record.remote, e.toString());
            }
        } else if (out != null) {
            out.requestOutput();
        }
    }

    private void retryOnNewConnection(UpstreamFailure failure, boolean expired, AsyncClientEndpoint abandoned,
            Node failedOn) {
        if (abandoned != null) {
            abandoned.releaseAndDiscard();
        }
        services.metrics().upstreamRetry();
        failedOn.retried();
        leaveNode();
        String method = record.method;
        String target = record.target;
        String remote = record.remote;
        if (expired || "reset".equals(failure.kind())) {
            // A pooled connection past the upstream's Keep-Alive timeout, or (mostly) the keep-alive race: the
            // upstream closed a pooled connection as it was reused. Expected now and then and harmless once
            // retried; towerrelay_upstream_retries_total counts them.
            LOG.debug("retrying {} {} from {} on a new connection: {}", method, target, remote, failure.reason());
        } else {
            BackgroundLog.submit(() -> LOG.info("retrying {} {} from {} on a new connection: {}", method, target, remote,
                    failure.reason()));
        }
        connectUpstream(true, failedOn, failure);
    }

    /**
     * Returns the upstream connection to the pool only when both messages completed; else closes it. A lease
     * still under way is never cancelled: HttpAsyncRequester loses the pool entry when a cancel races with a
     * lease that is completing (the entry stays leased, nobody releases it), and once pool-size entries are lost
     * every request waits forever. Instead the lease runs to its end and {@link #onConnected} hands the unused
     * connection back, since {@code clientGone} is set by then.
     */
    private void releaseUpstream(boolean reusable) {
        AsyncClientEndpoint ep;
        lock();
        try {
            if (endpointReleased || endpoint == null) {
                return;
            }
            endpointReleased = true;
            ep = endpoint;
        } finally {
            lock.unlock();
        }
        if (reusable) {
            ep.releaseAndReuse();
        } else {
            ep.releaseAndDiscard();
        }
    }

    /** The upstream half of one attempt, called on an upstream I/O thread. */
    private final class UpstreamSide implements AsyncClientExchangeHandler {
        /** The request head was handed to the connection: some of it may have reached the node. */
        private boolean headSent;
        private EndpointDetails connection;

        @Override
        public void produceRequest(RequestChannel channel, HttpContext context) throws HttpException, IOException {
            HttpRequest head;
            EntityDetails entity;
            EndpointDetails details = HttpCoreContext.cast(context).getEndpointDetails();
            boolean reused = details != null && details.getRequestCount() > 0;
            if (reused && services.upstream().keepAlive().expired(details)) {
                throw new StaleConnectionException("the upstream's Keep-Alive timeout for this pooled connection has passed");
            }
            lock();
            try {
                if (this != activeSide) {
                    throw new IOException("attempt abandoned");
                }
                connection = details;
                headSent = true;
                head = upstreamRequest;
                entity = requestEntity;
                if (entity == null) {
                    // No body: the head is the whole request, and produce() is never called to mark its end.
                    // Without this every bodiless exchange (every GET) discarded its pooled upstream connection.
                    requestEndSent = true;
                }
            } finally {
                lock.unlock();
            }
            channel.sendRequest(head, entity, context);
        }

        @Override
        public int available() {
            lock();
            try {
                if (requestEnd && !requestEndSent && requestBody.size() == 0) {
                    return 1;
                }
                return requestBody.size();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void produce(DataStreamChannel channel) throws IOException {
            int grant = 0;
            CapacityChannel capacity = null;
            lock();
            try {
                upstreamOutput = channel;
                int written = requestBody.writeTo(channel);
                if (written > 0) {
                    bodyStarted = true;
                }
                if (written > 0 && clientCapacity != null) {
                    grant = requestBody.takeGrant();
                    capacity = clientCapacity;
                }
                if (requestEnd && !requestEndSent && requestBody.size() == 0) {
                    requestEndSent = true;
                    channel.endStream(requestTrailers);
                }
            } finally {
                lock.unlock();
            }
            if (grant > 0) {
                capacity.update(grant); // outside the lock, as in the client side's produce()
            }
        }

        @Override
        public void consumeInformation(HttpResponse response, HttpContext context) {
            // 1xx from upstream: the relay answered Expect itself and never forwards Upgrade here, so drop them.
        }

        @Override
        public void consumeResponse(HttpResponse response, EntityDetails entityDetails, HttpContext context)
                throws HttpException, IOException {
            services.upstream().keepAlive().answered(connection, response);
            Node answering = node;
            if (answering != null) {
                answering.answered();
            }
            BasicHttpResponse head = new BasicHttpResponse(response.getCode(), response.getReasonPhrase());
            HopByHopHeaders.copyEndToEnd(response, head);
            lock();
            try {
                if (clientGone) {
                    throw new IOException("client went away");
                }
                responseStarted = true;
                record.status = response.getCode();
                if (entityDetails == null) {
                    // Bodiless (HEAD, 204, 304): answer the client once the connection is back in the pool.
                    upstreamDone = true;
                    bodilessHead = head;
                    return;
                }
            } finally {
                lock.unlock();
            }
            lock();
            try {
                responseLength = entityDetails.isChunked() ? -1 : entityDetails.getContentLength();
            } finally {
                lock.unlock();
            }
            // The head goes to the client when this input event ends: a body read in the same event (every small
            // answer) is then in the buffer, HttpCore5 writes it right behind the head, and both leave in one write.
            SharedReactor.afterEvent(() -> sendHead(head, entityDetails));
        }

        private void sendHead(HttpResponse head, EntityDetails entityDetails) {
            lock();
            try {
                if (clientGone) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            try {
                responseChannel.sendResponse(head, entityDetails, serverContext);
            } catch (HttpException | IOException | RuntimeException e) {
                onUpstreamFailure(e instanceof IOException io ? io : new IOException(e.getMessage(), e), this);
            }
        }

        @Override
        public void updateCapacity(CapacityChannel channel) throws IOException {
            int room;
            lock();
            try {
                upstreamCapacity = channel;
                room = responseBody.takeGrant();
            } finally {
                lock.unlock();
            }
            if (room > 0) {
                channel.update(room);
            }
        }

        @Override
        public void consume(ByteBuffer src) throws IOException {
            DataStreamChannel out;
            lock();
            try {
                if (clientGone) {
                    throw new IOException("client went away");
                }
                responseBody.put(src);
                out = clientOutput;
            } finally {
                lock.unlock();
            }
            if (out != null) {
                out.requestOutput();
            }
        }

        @Override
        public void streamEnd(List<? extends Header> trailers) {
            DataStreamChannel out;
            lock();
            try {
                // responseEnd is set in releaseResources(), after the connection is back in the pool.
                responseTrailers = trailers;
                upstreamDone = true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void failed(Exception cause) {
            onUpstreamFailure(cause, this);
        }

        @Override
        public void cancel() {
            onUpstreamFailure(new IOException("upstream exchange cancelled"), this);
        }

        /**
         * HttpCore5 is done with the upstream exchange. Only now may the connection go back to the pool, and only
         * after that may the client see the end of its response: otherwise the client's next request can race
         * ahead of the release and open a second upstream connection.
         */
        @Override
        public void releaseResources() {
            boolean completed;
            HttpResponse head;
            DataStreamChannel out;
            lock();
            try {
                if (this != activeSide) {
                    return; // an attempt given up for a retry: its connection was discarded then
                }
                completed = upstreamDone && abortCause == null && !responseEnd && record.error == null;
                head = bodilessHead;
                bodilessHead = null;
            } finally {
                lock.unlock();
            }
            releaseUpstream(completed && requestEndSentNow());
            if (!completed) {
                return;
            }
            lock();
            try {
                responseEnd = true;
                out = clientOutput;
            } finally {
                lock.unlock();
            }
            if (head != null) {
                try {
                    responseChannel.sendResponse(head, null, serverContext);
                } catch (HttpException | IOException e) {
                    LOG.debug("could not answer {}: {}", record.remote, e.toString());
                }
            } else if (out != null) {
                out.requestOutput();
            }
        }

        private boolean requestEndSentNow() {
            lock();
            try {
                return requestEndSent;
            } finally {
                lock.unlock();
            }
        }
    }
}
