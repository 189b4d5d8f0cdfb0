package io.towerrelay.proxy;

import io.towerrelay.flow.ChannelConsumer;
import io.towerrelay.flow.Direction;
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
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
 * {@link UpstreamSide}. Both run on the one I/O thread that serves the client connection and the upstream
 * connection it uses (the shared reactor), so nothing here is locked. Each body direction is a {@link Direction}:
 * the reading side is only granted as much as its buffer has room for, and gets more as the writing side drains
 * it, so a slow reader on either end stops the other end's sender instead of filling memory.
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
    /** Client to upstream: read by this handler, written by {@link UpstreamSide}. */
    private final Direction request = new Direction();
    /** Upstream to client: read by {@link UpstreamSide}, written by this handler. */
    private final Direction response = new Direction();

    private HttpRequest upstreamRequest;
    private EntityDetails requestEntity;
    private ResponseChannel responseChannel;
    private HttpContext serverContext;
    private boolean responseStarted;
    /** The upstream's answer head waits for the end of the event to go out (see consumeResponse). */
    private boolean headPending;
    /** The upstream's trailers, passed on when the response ends (after the upstream connection's release). */
    private List<? extends Header> responseTrailers;
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

    // ---- client side ----

    @Override
    public void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel channel,
            HttpContext context) {
        handleRequest(request, services.requests().create(request, context), entityDetails, channel, context);
    }

    /** Starts the exchange with an already-built upstream request (the dispatcher built it). */
    void handleRequest(HttpRequest clientRequest, HttpRequest outgoing, EntityDetails entityDetails,
            ResponseChannel channel, HttpContext context) {
        record.begin(clientRequest, context);
        upstreamRequest = outgoing;
        requestEntity = entityDetails;
        if (entityDetails == null) {
            request.endWithoutBody(); // no body: the head alone completes the request
        }
        responseChannel = channel;
        serverContext = context;
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
        if (clientGone) {
            return;
        }
        node = chosen;
        record.upstream = chosen.name();
        record.retries = retries;
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
        Node left = node;
        node = null;
        if (left != null) {
            left.requestEnded();
        }
    }

    /** The upstream exchange is over (answered or failed): neither direction reads on. */
    private void upstreamDone() {
        upstreamDone = true;
        request.stop();
        response.stop();
    }

    @Override
    public void updateCapacity(CapacityChannel channel) throws IOException {
        request.readerReady(channel);
    }

    @Override
    public void consume(ByteBuffer src) {
        record.bytesIn += src.remaining();
        if (upstreamDone || clientGone) {
            src.position(src.limit()); // the exchange is over upstream; the connection closes after the response
            return;
        }
        request.put(src);
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) {
        request.end(trailers);
    }

    @Override
    public int available() {
        return abortCause != null ? 1 : response.available();
    }

    @Override
    public void produce(DataStreamChannel channel) throws IOException {
        if (abortCause != null) {
            // Throwing makes HttpCore5 close the client connection, so the client sees a cut, not a short body.
            throw new IOException("upstream failed after the response started: " + abortCause.getMessage(), abortCause);
        }
        int max = Integer.MAX_VALUE;
        if (!response.ended() && responseLength >= 0 && record.bytesOut + response.size() >= responseLength) {
            // The buffer holds the end of a Content-Length body. Keep its last byte until the upstream
            // connection is back in the pool: a client that has every byte sends its next request at once,
            // and that request must find the pooled connection instead of opening another.
            max = response.size() - 1;
        }
        record.bytesOut += response.write(channel, max);
    }

    /** RelayDispatcher answered 400 for a malformed request body (BodyFramingAnswer): the log says so, not 499. */
    void answeredMalformedBody(Exception cause) {
        record.status = 400;
        record.error = "malformed chunked request body: " + cause.getMessage();
    }

    @Override
    public void failed(Exception cause) {
        clientGone = true;
        if (record.error == null) {
            record.error = "client connection failed: " + cause.getMessage();
        }
        LOG.debug("client {} failed during {} {}: {}", record.remote(), record.method, record.target, cause.toString());
        releaseUpstream(false);
    }

    @Override
    public void releaseResources() {
        boolean complete = upstreamDone && request.endWritten();
        if (!response.endWritten()) {
            clientGone = true;
        }
        releaseUpstream(complete);
        leaveNode();
        services.finish(record);
        // Both directions are over for the client; anything the upstream side still calls finds them empty.
        request.release();
        response.release();
    }

    // ---- upstream events ----

    private void onConnected(AsyncClientEndpoint ep) {
        if (clientGone) {
            // The client left while this connection was being leased or opened. Nothing was sent on it.
            endpointReleased = true;
            services.upstream().returnUnused(ep);
            return;
        }
        UpstreamSide side = new UpstreamSide();
        endpoint = ep;
        endpointReleased = false;
        activeSide = side;
        try {
            ep.execute(side, HttpCoreContext.create());
        } catch (IllegalStateException ex) {
            // The client left between the check above and here, and releaseUpstream gave the endpoint back.
            LOG.debug("client {} left before {} {} was sent upstream: {}", record.remote(), record.method, record.target, ex.toString());
        }
    }

    /**
     * @param side the attempt that failed, or null when no connection was had (connect or lease failed)
     */
    private void onUpstreamFailure(Exception cause, UpstreamSide side) {
        if ((side != null && side != activeSide) || upstreamDone || clientGone || node == null) {
            return; // an attempt already given up for a retry, or the exchange is over
        }
        Node failedOn = node;
        UpstreamFailure failure = UpstreamFailure.classify(cause, side == null, services.upstreamConfig(), failedOn);
        boolean sent = side != null && side.headSent;
        boolean retry = RetryPolicy.mayRetry(record.method, new RetryPolicy.Attempt(retries, sent,
                requestEntity == null || !bodyStarted, responseStarted, sent && "response_timeout".equals(failure.kind())));
        AsyncClientEndpoint abandoned = null;
        if (retry) {
            retries++;
            request.rewrite(); // the new attempt sends the (unstarted) body and its end again
            activeSide = null;
            request.detachWriter();
            response.detachReader();
            if (!endpointReleased) {
                abandoned = endpoint;
            }
            endpoint = null;
            endpointReleased = false;
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
        if (upstreamDone || clientGone) {
            return;
        }
        upstreamDone();
        record.error = failure.reason();
        services.metrics().upstreamError(failure.kind());
        HttpResponse errorHead = null;
        EntityDetails errorEntity = null;
        if (!responseStarted || headPending) {
            // Nothing reached the client yet (a head still waiting for its event's end is not sent now): a clean
            // 502 in place of an answer that would be cut.
            responseStarted = true;
            headPending = false;
            responseLength = -1;
            response.discard();
            record.status = failure.status();
            byte[] body = (failure.status() + " " + (failure.status() == 504 ? "Gateway Timeout" : "Bad Gateway")
                    + ": " + failure.reason() + "\n").getBytes(StandardCharsets.UTF_8);
            response.putOwn(body);
            response.end(null);
            errorHead = new BasicHttpResponse(failure.status());
            errorHead.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
            errorEntity = new BasicEntityDetails(body.length, ContentType.TEXT_PLAIN.withCharset(StandardCharsets.UTF_8));
            errorHead.setHeader(HttpHeaders.CONTENT_TYPE, errorEntity.getContentType());
            if (!request.ended()) {
                // The client is still sending a body we will not read: end the connection after this answer.
                errorHead.setHeader(HttpHeaders.CONNECTION, "close");
            }
        } else {
            abortCause = cause;
        }
        String method = record.method;
        String target = record.target;
        String remote = record.remote();
        // Off the I/O thread: an upstream outage makes this line per request (see BackgroundLog).
        String retried = retries > 0 ? " (after a retry)" : "";
        BackgroundLog.submit(() -> LOG.warn("{} {} {} from {}: {}{}", failure.status(), method, target, remote,
                failure.reason(), retried));
        releaseUpstream(false);
        if (errorHead != null) {
            try {
                responseChannel.sendResponse(errorHead, errorEntity, serverContext);
            } catch (HttpException | IOException e) {
                LOG.debug("could not send {} to {}: {}", failure.status(), record.remote(), e.toString());
            }
        } else {
            response.wakeWriter();
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
        String remote = record.remote();
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
        if (endpointReleased || endpoint == null) {
            return;
        }
        endpointReleased = true;
        AsyncClientEndpoint ep = endpoint;
        if (reusable) {
            ep.releaseAndReuse();
        } else {
            ep.releaseAndDiscard();
        }
    }

    /** The upstream half of one attempt, called on the exchange's I/O thread. */
    private final class UpstreamSide implements AsyncClientExchangeHandler, ChannelConsumer {
        /** The request head was handed to the connection: some of it may have reached the node. */
        private boolean headSent;
        private EndpointDetails connection;

        @Override
        public void produceRequest(RequestChannel channel, HttpContext context) throws HttpException, IOException {
            EndpointDetails details = HttpCoreContext.cast(context).getEndpointDetails();
            boolean reused = details != null && details.getRequestCount() > 0;
            if (reused && services.upstream().keepAlive().expired(details)) {
                throw new StaleConnectionException("the upstream's Keep-Alive timeout for this pooled connection has passed");
            }
            if (this != activeSide) {
                throw new IOException("attempt abandoned");
            }
            connection = details;
            headSent = true;
            channel.sendRequest(upstreamRequest, requestEntity, context);
        }

        @Override
        public int available() {
            return request.available();
        }

        @Override
        public void produce(DataStreamChannel channel) throws IOException {
            if (request.write(channel, Integer.MAX_VALUE) > 0) {
                bodyStarted = true;
            }
        }

        @Override
        public void consumeInformation(HttpResponse info, HttpContext context) {
            // 1xx from upstream: the relay answered Expect itself and never forwards Upgrade here, so drop them.
        }

        @Override
        public void consumeResponse(HttpResponse upstreamResponse, EntityDetails entityDetails, HttpContext context)
                throws HttpException, IOException {
            services.upstream().keepAlive().answered(connection, upstreamResponse);
            Node answering = node;
            if (answering != null) {
                answering.answered();
            }
            // Passed on as it came, without the headers of the upstream connection. Its HTTP version is the
            // upstream's: the client's answer is HTTP/1.1 whatever the upstream spoke.
            HttpResponse head = upstreamResponse;
            HopByHopHeaders.strip(head);
            head.setVersion(null);
            if (clientGone) {
                throw new IOException("client went away");
            }
            responseStarted = true;
            record.status = upstreamResponse.getCode();
            if (entityDetails == null) {
                // Bodiless (HEAD, 204, 304): answer the client once the connection is back in the pool.
                upstreamDone();
                bodilessHead = head;
                return;
            }
            responseLength = entityDetails.isChunked() ? -1 : entityDetails.getContentLength();
            // The head goes to the client when this input event ends: a body read in the same event (every small
            // answer) is then in the buffer, HttpCore5 writes it right behind the head, and both leave in one write.
            headPending = true;
            SharedReactor.afterEvent(() -> sendHead(head, entityDetails));
        }

        private void sendHead(HttpResponse head, EntityDetails entityDetails) {
            if (clientGone || !headPending) {
                return; // the client left, or the upstream failed first and the client got a 502
            }
            headPending = false;
            try {
                responseChannel.sendResponse(head, entityDetails, serverContext);
            } catch (HttpException | IOException | RuntimeException e) {
                onUpstreamFailure(e instanceof IOException io ? io : new IOException(e.getMessage(), e), this);
            }
        }

        @Override
        public void updateCapacity(CapacityChannel channel) throws IOException {
            response.readerReady(channel);
        }

        @Override
        public void consume(ByteBuffer src) throws IOException {
            if (clientGone) {
                throw new IOException("client went away");
            }
            response.put(src);
        }

        @Override
        public int consumeFrom(ReadableByteChannel channel, int max) throws IOException {
            if (clientGone) {
                throw new IOException("client went away");
            }
            return response.readFrom(channel, max);
        }

        @Override
        public void streamEnd(List<? extends Header> trailers) {
            // The response's end is passed on in releaseResources(), after the connection is back in the pool.
            responseTrailers = trailers;
            upstreamDone();
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
            if (this != activeSide) {
                return; // an attempt given up for a retry: its connection was discarded then
            }
            boolean completed = upstreamDone && abortCause == null && !response.ended() && record.error == null;
            HttpResponse head = bodilessHead;
            bodilessHead = null;
            releaseUpstream(completed && request.endWritten());
            if (!completed) {
                return;
            }
            if (head != null) {
                response.endWithoutBody();
                try {
                    responseChannel.sendResponse(head, null, serverContext);
                } catch (HttpException | IOException e) {
                    LOG.debug("could not answer {}: {}", record.remote(), e.toString());
                }
            } else {
                response.end(responseTrailers); // wakes the client's output for the last bytes and the end
            }
        }
    }
}
