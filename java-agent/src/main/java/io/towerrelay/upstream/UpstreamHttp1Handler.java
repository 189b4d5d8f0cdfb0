package io.towerrelay.upstream;

import io.towerrelay.flow.ChannelConsumer;
import io.towerrelay.flow.FlowBuffer;
import io.towerrelay.http.BodyDecoder;
import io.towerrelay.http.HopByHopHeaders;
import io.towerrelay.http.MessageFraming;
import io.towerrelay.http.HeadWriter;
import io.towerrelay.http.ResponseHeadParser;
import io.towerrelay.reactor.SessionEndpoint;
import io.towerrelay.reactor.SessionInput;
import io.towerrelay.reactor.SessionOutput;
import io.towerrelay.reactor.SharedReactor;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.RequestChannel;
import org.apache.hc.core5.http.nio.command.RequestExecutionCommand;
import org.apache.hc.core5.http.nio.command.ShutdownCommand;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * The relay's HTTP/1.1 client on one upstream connection: one exchange at a time, for an
 * {@link AsyncClientExchangeHandler} (a proxied exchange's upstream half, or a health check).
 *
 * <p>It stands in for HttpCore5's {@code ClientHttp1StreamDuplexer}, which took more of the I/O threads' time than
 * any other part for small answers (JFR: 28 % of the samples), with a charset encoder per head line, three session
 * buffers and a command queued for every request. Here the request head is written in the event that asked for it,
 * the answer's head is parsed from the read buffer ({@link ResponseHeadParser}), and its payload is handed on as
 * slices of that buffer ({@link BodyDecoder}).
 *
 * <p>Backpressure: the exchange is given body bytes while its window lasts ({@link FlowBuffer#HIGH_WATER}, then
 * what it grants through {@link CapacityChannel}); at 0 the connection is not read until it grants more.
 *
 * <p>Runs on the connection's I/O thread; {@link #execute} from another thread queues the exchange on the session.
 */
final class UpstreamHttp1Handler implements IOEventHandler {
    private static final int READ_BUFFER = 32 * 1024;
    /**
     * The first read of an answer takes at most this much, as NGINX's {@code proxy_buffer_size} does: enough for a
     * head and a small body. What a larger answer has beyond it is then read straight into the exchange's direct
     * buffer ({@link #straightReadable}) instead of into this heap buffer and copied out of it: a full 32 KiB first
     * read cost two copies of 32 KiB per 64 KiB answer (the JDK's into the heap, the exchange's out of it), about
     * 6 % of the relay's CPU per such answer (side by side with {@code wrk -c64}).
     */
    private static final int HEAD_READ = 8 * 1024;
    /** Request body bytes taken into the write buffer while the socket has not taken the ones before. */
    private static final int WRITE_HIGH = 64 * 1024;

    private final ProtocolIOSession session;
    private final Thread owner = Thread.currentThread();
    private final Consumer<Exception> ended;
    private final SessionEndpoint details;
    private final SessionInput input = new SessionInput(READ_BUFFER);
    /** What is to be written (fill mode). */
    private ByteBuffer out = ByteBuffer.allocate(1024);
    /** Bytes of an incomplete response head already searched for its end. */
    private int headScanned;
    private boolean processing;
    private boolean closeWhenIdle;
    private Exception lastError;

    // The exchange in progress (exchange == null: idle).
    private AsyncClientExchangeHandler exchange;
    private HttpCoreContext context;
    private boolean headRequest;
    /** The request, head and body, is all in {@link #out}. */
    private boolean requestDone;
    /** Body bytes still to send under Content-Length, or -1 for a chunked body. */
    private long requestRemaining;
    /** Null while the answer's head is awaited. */
    private BodyDecoder decoder;
    private boolean keepAlive;
    private int window;
    private boolean readPaused;

    private final RequestChannel requestChannel = this::sendRequest;
    private final DataStreamChannel bodyChannel = new BodyChannel();
    private final CapacityChannel capacity = this::grant;

    /** What was read and not yet handed on (read mode). */
    private ByteBuffer in() {
        return input.bytes();
    }

    /**
     * @param ended told once when the session ends, with the error that ended it (or null); may be null
     */
    UpstreamHttp1Handler(ProtocolIOSession session, Consumer<Exception> ended) {
        this.session = session;
        this.ended = ended;
        this.details = new SessionEndpoint(session);
    }

    /** Sends {@code handler}'s request now (on this connection's thread) or queues it there. */
    void execute(AsyncClientExchangeHandler handler, HttpContext httpContext) {
        if (!session.isOpen()) {
            failed(handler, new ConnectionClosedException());
        } else if (Thread.currentThread() != owner) {
            session.enqueue(new RequestExecutionCommand(handler, httpContext), Command.Priority.NORMAL);
        } else {
            start(handler, httpContext);
        }
    }

    private void start(AsyncClientExchangeHandler handler, HttpContext httpContext) {
        if (exchange != null || !session.isOpen()) {
            failed(handler, exchange != null ? new IllegalStateException("the upstream connection is busy")
                    : new ConnectionClosedException());
            return;
        }
        exchange = handler;
        context = HttpCoreContext.castOrCreate(httpContext);
        context.setEndpointDetails(details);
        decoder = null;
        requestDone = false;
        keepAlive = true;
        window = FlowBuffer.HIGH_WATER;
        try {
            handler.produceRequest(requestChannel, context);
            if (exchange == handler && !requestDone) {
                produceBody(true);
            }
            flush();
            session.setEvent(SelectionKey.OP_READ);
        } catch (HttpException | IOException | RuntimeException e) {
            fail(e);
        }
    }

    // ---- request ----

    private void sendRequest(HttpRequest request, EntityDetails entity, HttpContext httpContext)
            throws HttpException, IOException {
        MessageFraming.REQUEST.process(request, entity, httpContext);
        headRequest = Method.HEAD.isSame(request.getMethod());
        if (HopByHopHeaders.hasConnectionToken(request, "close")) {
            keepAlive = false;
        }
        out = HeadWriter.request(request, out);
        details.requests++;
        requestDone = entity == null;
        requestRemaining = entity != null && entity.getContentLength() >= 0 && !entity.isChunked()
                ? entity.getContentLength() : -1;
    }

    /** Lets the exchange write body bytes while it has some and the write buffer takes them. */
    private void produceBody(boolean first) throws IOException {
        for (int i = 0; i < 16 && exchange != null && !requestDone && out.position() < WRITE_HIGH; i++) {
            // Called once even with nothing ready: that is how the exchange learns the channel to wake.
            if (!first && exchange.available() <= 0) {
                return;
            }
            first = false;
            exchange.produce(bodyChannel);
        }
    }

    private void flush() throws IOException {
        details.sent += SessionOutput.flush(out, session);
    }

    private final class BodyChannel implements DataStreamChannel {
        @Override
        public void requestOutput() {
            session.setEvent(SelectionKey.OP_WRITE);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (exchange == null || requestDone) {
                return 0;
            }
            if (out.position() >= WRITE_HIGH) {
                flush();
                if (out.position() >= WRITE_HIGH) {
                    return 0;
                }
            }
            int n = (int) Math.min(Math.min(src.remaining(), WRITE_HIGH),
                    requestRemaining >= 0 ? requestRemaining : Integer.MAX_VALUE);
            if (n == 0) {
                return 0;
            }
            out = HeadWriter.room(out, n + 16);
            if (requestRemaining < 0) {
                out = HeadWriter.chunkStart(out, n);
            } else {
                requestRemaining -= n;
            }
            out.put(out.position(), src, src.position(), n);
            out.position(out.position() + n);
            src.position(src.position() + n);
            if (requestRemaining < 0) {
                out = HeadWriter.chunkEnd(out);
            }
            flush();
            return n;
        }

        @Override
        public void endStream() throws IOException {
            endStream(null);
        }

        @Override
        public void endStream(List<? extends Header> trailers) throws IOException {
            if (exchange == null || requestDone) {
                return;
            }
            if (requestRemaining > 0) {
                throw new IOException("the request body ended " + requestRemaining + " bytes short of its Content-Length");
            }
            if (requestRemaining < 0) {
                out = HeadWriter.lastChunk(out, trailers);
            }
            requestDone = true;
            flush();
        }
    }

    // ---- response ----

    @Override
    public void connected(IOSession s) {
        session.setEvent(SelectionKey.OP_READ);
    }

    @Override
    public void inputReady(IOSession s, ByteBuffer src) {
        try {
            if (src != null) {
                input.take(src); // TLS hands over what it decrypted, all of which must be kept
            }
            // Read again in this event only after a read that filled the room it had (SessionInput.filled).
            boolean more = true;
            for (int reads = 0; process() && more && !readPaused && reads < SessionInput.MAX_READS && session.isOpen();
                    reads++) {
                int max = straightReadable();
                int n;
                if (max > 0) {
                    AsyncClientExchangeHandler h = exchange;
                    n = ((ChannelConsumer) h).consumeFrom(session, max);
                    boolean takesMore = n > 0 && handedOn(h, n);
                    more = n == max && takesMore && !decoder.complete();
                } else {
                    // Past a head's size no growth: body bytes are handed on as slices, within the window.
                    n = decoder != null ? input.read(session, 0)
                            : input.read(session, ResponseHeadParser.MAX_HEAD + READ_BUFFER,
                                    in().hasRemaining() ? READ_BUFFER : HEAD_READ);
                    more = input.filled();
                }
                if (n < 0) {
                    endOfStream();
                    return;
                }
                if (n == 0) {
                    return;
                }
                details.received += n;
            }
        } catch (HttpException | IOException | RuntimeException e) {
            fail(e);
        } finally {
            input.release(); // unless part of a head, or body bytes beyond the window, wait in it
        }
    }

    /**
     * Hands on what the buffer holds: the answer's head, then body bytes while the window lasts.
     *
     * @return true when more input is wanted
     */
    private boolean process() throws HttpException, IOException {
        processing = true;
        try {
            for (;;) {
                AsyncClientExchangeHandler h = exchange;
                if (h == null) {
                    if (in().hasRemaining()) {
                        throw new ProtocolException("upstream sent " + in().remaining() + " bytes nobody asked for");
                    }
                    return true; // read on while idle, to see the upstream close
                }
                if (decoder == null) {
                    if (!head(h)) {
                        return true;
                    }
                    continue;
                }
                if (readPaused) {
                    return false; // the window is used up: what is buffered waits for the exchange's grant
                }
                int n = decoder.payloadAhead(in(), false);
                if (n > 0) {
                    ByteBuffer slice = in().slice(in().position(), n);
                    in().position(in().position() + n);
                    h.consume(slice);
                    if (!handedOn(h, n)) {
                        return false;
                    }
                } else if (decoder.complete()) {
                    responseComplete(h, true);
                } else {
                    return true;
                }
            }
        } finally {
            processing = false;
        }
    }

    /**
     * {@code n} payload bytes went to {@code h}: counted against the body and the window, and reading pauses when the
     * window is used up.
     *
     * @return false when this exchange takes no more now (paused, or over)
     */
    private boolean handedOn(AsyncClientExchangeHandler h, int n) throws HttpException, IOException {
        if (exchange != h) {
            return false; // it failed while consuming; the connection is closed
        }
        decoder.took(n);
        window -= n;
        if (window <= 0 && !decoder.complete()) {
            readPaused = true;
            session.clearEvent(SelectionKey.OP_READ);
            h.updateCapacity(capacity); // may grant at once
            return !readPaused && exchange == h;
        }
        return true;
    }

    /**
     * How many bytes the next read may put straight into the exchange's own buffer ({@link ChannelConsumer}): with
     * nothing left in the read buffer and only payload next on the wire, up to the window. A large answer then is
     * read into the buffer it is written to the client from (a direct one), instead of into the read buffer and
     * copied from there. 0 when the read buffer is to be used: also inside a chunk shorter than the read buffer,
     * where a read into the read buffer takes the chunks after it too, in the same system call.
     */
    private int straightReadable() {
        if (decoder == null || in().hasRemaining() || !(exchange instanceof ChannelConsumer) || window <= 0) {
            return 0;
        }
        long ahead = decoder.payloadOnWire();
        return decoder.chunked() && ahead < READ_BUFFER ? 0 : (int) Math.min(ahead, window);
    }

    /** Parses the answer's head once it is all there; false when more input is needed. */
    private boolean head(AsyncClientExchangeHandler h) throws HttpException, IOException {
        int end = ResponseHeadParser.headEnd(in(), in().position() + Math.max(0, headScanned - 3));
        if (end < 0) {
            headScanned = in().remaining();
            if (headScanned >= ResponseHeadParser.MAX_HEAD) {
                throw new ProtocolException("response head larger than " + ResponseHeadParser.MAX_HEAD / 1024 + " KiB");
            }
            return false;
        }
        headScanned = 0;
        BasicHttpResponse response = ResponseHeadParser.parse(in(), end);
        int code = response.getCode();
        if (code < 200) {
            if (code == 101) {
                throw new ProtocolException("upstream switched protocols for a request that did not ask to");
            }
            h.consumeInformation(response, context);
            return true;
        }
        details.responses++;
        decoder = BodyDecoder.forResponse(response, headRequest);
        keepAlive &= reusable(response);
        boolean bodiless = headRequest || code == 204 || code == 304;
        h.consumeResponse(response, bodiless ? null : new Entity(decoder, response), context);
        if (bodiless && exchange == h) {
            responseComplete(h, false);
        }
        return true;
    }

    /** Whether the connection may carry another exchange after this answer (RFC 9112 section 9.3). */
    private boolean reusable(HttpResponse response) {
        if (decoder.length() < 0 && !decoder.chunked()) {
            return false; // the body ends with the connection
        }
        if (response.containsHeader("Transfer-Encoding") && response.containsHeader("Content-Length")) {
            return false; // framing that someone on the way may have read otherwise
        }
        if (!response.containsHeader("Connection")) {
            return !HttpVersion.HTTP_1_0.equals(response.getVersion());
        }
        return !HopByHopHeaders.hasConnectionToken(response, "close")
                && (!HttpVersion.HTTP_1_0.equals(response.getVersion())
                        || HopByHopHeaders.hasConnectionToken(response, "keep-alive"));
    }

    /**
     * The answer is complete: the exchange ends, and the connection is free for the next one or closed. The
     * exchange is told only after this connection is idle, since it may hand the connection to the next request
     * from inside {@code releaseResources}.
     */
    private void responseComplete(AsyncClientExchangeHandler h, boolean withBody) throws HttpException, IOException {
        if (withBody) {
            List<Header> trailers = decoder.trailers();
            h.streamEnd(trailers.isEmpty() ? null : trailers);
            if (exchange != h) {
                return;
            }
        }
        boolean reuse = keepAlive && requestDone && !closeWhenIdle && !in().hasRemaining();
        exchange = null;
        context = null;
        decoder = null;
        if (readPaused) {
            readPaused = false;
            session.setEvent(SelectionKey.OP_READ);
        }
        if (!reuse) {
            input.discard();
            // A request body still going out makes the connection unusable at once; else what was written may leave.
            session.close(requestDone ? CloseMode.GRACEFUL : CloseMode.IMMEDIATE);
        }
        h.releaseResources();
    }

    /** The exchange granted more window (on this thread). */
    private void grant(int increment) {
        window = (int) Math.min((long) window + increment, Integer.MAX_VALUE);
        if (window <= 0 || !readPaused) {
            return;
        }
        readPaused = false;
        session.setEvent(SelectionKey.OP_READ);
        if (!processing && in().hasRemaining()) {
            // Bytes already read wait in the buffer; the selector would not say so. Taken when this event ends.
            SharedReactor.afterEvent(() -> inputReady(session, null));
        }
    }

    private void endOfStream() throws HttpException, IOException {
        AsyncClientExchangeHandler h = exchange;
        if (h != null && decoder != null) {
            try {
                decoder.payloadAhead(in(), true);
            } catch (ProtocolException e) {
                throw new ConnectionClosedException("Premature end of the response body: " + e.getMessage());
            }
            if (decoder.complete()) {
                responseComplete(h, true);
            }
        }
        if (exchange != null) {
            fail(new ConnectionClosedException("Connection closed by peer"));
            return;
        }
        session.close(CloseMode.GRACEFUL);
    }

    // ---- the rest of the session's events ----

    @Override
    public void outputReady(IOSession s) {
        try {
            for (Command c = session.poll(); c != null; c = session.poll()) {
                command(c);
            }
            flush();
            if (out.position() == 0 && exchange != null && !requestDone) {
                produceBody(false);
                flush();
            }
            if (out.position() == 0 && (exchange == null || requestDone || exchange.available() <= 0)) {
                session.clearEvent(SelectionKey.OP_WRITE);
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    private void command(Command c) {
        if (c instanceof RequestExecutionCommand r) {
            start(r.getExchangeHandler(), r.getContext());
        } else if (c instanceof ShutdownCommand shutdown) {
            if (exchange == null) {
                session.close(shutdown.getType());
            } else if (shutdown.getType() == CloseMode.IMMEDIATE) {
                fail(new ConnectionClosedException("connection shut down"));
            } else {
                closeWhenIdle = true;
            }
        } else {
            c.cancel();
        }
    }

    @Override
    public void timeout(IOSession s, Timeout timeout) {
        if (exchange != null) {
            fail(new SocketTimeoutException("no answer within " + timeout));
        } else {
            session.close(CloseMode.GRACEFUL); // idle that long: the upstream would close it soon anyway
        }
    }

    @Override
    public void exception(IOSession s, Exception cause) {
        lastError = cause;
        fail(cause);
    }

    @Override
    public void disconnected(IOSession s) {
        if (exchange != null) {
            fail(new ConnectionClosedException("Connection closed"));
        }
        for (Command c = session.poll(); c != null; c = session.poll()) {
            c.cancel();
        }
        if (ended != null) {
            ended.accept(lastError);
        }
    }

    /** The exchange in progress, if any, fails; the connection closes. */
    private void fail(Exception cause) {
        AsyncClientExchangeHandler h = exchange;
        exchange = null;
        context = null;
        decoder = null;
        input.discard();
        out.clear();
        if (lastError == null) {
            lastError = cause;
        }
        session.close(CloseMode.IMMEDIATE);
        if (h != null) {
            failed(h, cause);
        }
    }

    private static void failed(AsyncClientExchangeHandler handler, Exception cause) {
        try {
            handler.failed(cause);
        } finally {
            handler.releaseResources();
        }
    }

    /** The answer's body as the exchange sees it. */
    private record Entity(long length, boolean chunked, String contentType, String contentEncoding)
            implements EntityDetails {
        Entity(BodyDecoder decoder, HttpResponse response) {
            this(decoder.length(), decoder.chunked(), value(response, "Content-Type"), value(response, "Content-Encoding"));
        }

        private static String value(HttpResponse response, String name) {
            Header h = response.getFirstHeader(name);
            return h == null ? null : h.getValue();
        }

        @Override
        public long getContentLength() {
            return length;
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public String getContentEncoding() {
            return contentEncoding;
        }

        @Override
        public boolean isChunked() {
            return chunked;
        }

        @Override
        public Set<String> getTrailerNames() {
            return Set.of();
        }
    }
}
