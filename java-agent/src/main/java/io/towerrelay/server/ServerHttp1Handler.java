package io.towerrelay.server;

import io.towerrelay.flow.FlowBuffer;
import io.towerrelay.http.BodyDecoder;
import io.towerrelay.http.HeadWriter;
import io.towerrelay.http.RequestFraming;
import io.towerrelay.http.RequestHeadParser;
import io.towerrelay.reactor.SessionEndpoint;
import io.towerrelay.reactor.SessionInput;
import io.towerrelay.reactor.SessionOutput;
import io.towerrelay.reactor.SharedReactor;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HeaderElements;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.HttpStatus;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.MalformedChunkCodingException;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.http.MisdirectedRequestException;
import org.apache.hc.core5.http.NotImplementedException;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.ProtocolVersion;
import org.apache.hc.core5.http.UnsupportedHttpVersionException;
import org.apache.hc.core5.http.impl.BasicEntityDetails;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncPushProducer;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.nio.command.ShutdownCommand;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.reactor.ssl.TlsDetails;
import org.apache.hc.core5.util.Timeout;

/**
 * The relay's HTTP/1.1 server on one client connection: one exchange at a time, for an
 * {@link AsyncServerExchangeHandler} made per request by {@link ServerHttp1Settings#exchanges()}.
 *
 * <p>It stands in for HttpCore5's {@code ServerHttp1StreamDuplexer}, which with its request parser took more of the
 * I/O threads' time than any other part for small answers (JFR: 36 % of the samples), with a line buffer and
 * charset decoder per head line, three session buffers and a stream handler object per request. Here the request
 * head is parsed from the read buffer ({@link RequestHeadParser}), its body is handed on as slices of that buffer
 * ({@link BodyDecoder}), and the answer's head is written as bytes ({@link HeadWriter}) behind which a small body
 * is copied, so both leave in one write.
 *
 * <p>Pipelined requests are answered in order: the next head is parsed only once the exchange before it is over.
 * Bytes that come meanwhile wait in the read buffer, which is not read further once full.
 *
 * <p>Backpressure: the exchange is given request body bytes while its window lasts ({@link FlowBuffer#HIGH_WATER},
 * then what it grants through {@link CapacityChannel}); at 0 the connection is not read until it grants more. Its
 * answer's body is asked for ({@code produce}) only when the bytes before it were written.
 *
 * <p>A head that cannot be parsed, or whose body length is unclear ({@link RequestFraming}), is answered 400 (501 for
 * a transfer coding other than chunked, 505 for HTTP/2 and later, 431 for a head over the limit) with
 * {@code Connection: close}; no exchange handler runs. Runs on the connection's I/O thread, as do the exchange's
 * calls back into it.
 */
public final class ServerHttp1Handler implements IOEventHandler {
    private static final int READ_BUFFER = 8 * 1024;
    /** Answer bytes taken into the write buffer while the socket has not taken the ones before. */
    private static final int WRITE_HIGH = 64 * 1024;
    /** Request body bytes read and dropped after an answer that closes the connection, before closing anyway. */
    private static final int DRAIN_LIMIT = 1024 * 1024;

    private enum Answer { NONE, BODY, DONE }

    private final ProtocolIOSession session;
    private final ServerHttp1Settings settings;
    private final String scheme;
    private final SessionEndpoint details;
    private final SessionInput input = new SessionInput(READ_BUFFER);
    /** What is to be written (fill mode). */
    private ByteBuffer out = ByteBuffer.allocate(1024);
    /** Bytes of an incomplete request head already searched for its end. */
    private int headScanned;
    private boolean processing;
    /** The client closed its side: no more requests come. */
    private boolean inputEnded;
    /** A shutdown asked for: close once the exchange in progress is over. */
    private boolean closeWhenIdle;
    /** The exchange is being told it failed: an answer it gives now does not end it. */
    private boolean failing;
    /** Close once {@link #out} is written. */
    private boolean closeWhenWritten;
    /** An answer that closes the connection went out while the request body was still coming: it is read and dropped. */
    private BodyDecoder draining;
    private long drained;

    // The exchange in progress (exchange == null: idle).
    private AsyncServerExchangeHandler exchange;
    private HttpCoreContext context;
    private HttpRequest request;
    private boolean upgrade;
    /** The request body still coming, or null when it is all in. */
    private BodyDecoder body;
    private int window;
    private boolean readPaused;
    private Answer answer = Answer.NONE;
    private boolean keepAlive;
    /** Answer body bytes still to send under Content-Length, -1 for chunked, -2 for a body that ends with the connection. */
    private long answerRemaining;

    private final ResponseChannel responseChannel = new Responses();
    private final DataStreamChannel bodyChannel = new BodyChannel();
    private final CapacityChannel capacity = this::grant;

    /** What was read and not yet handed on (read mode). */
    private ByteBuffer in() {
        return input.bytes();
    }

    ServerHttp1Handler(ProtocolIOSession session, ServerHttp1Settings settings, String scheme) {
        this.session = session;
        this.settings = settings;
        this.scheme = scheme;
        // On the channel, not the session this handler sees (a plain listener's DeferredOutputSession refers back to
        // this handler): the edge keeps a connection's endpoint while a tunnel holds it, and must not keep this.
        this.details = new SessionEndpoint(SharedReactor.channelOf(session));
    }

    /** The session this handler was made for (a WebSocket tunnel takes the connection over from it). */
    public ProtocolIOSession session() {
        return session;
    }

    @Override
    public void connected(IOSession s) {
        session.setEvent(SelectionKey.OP_READ);
    }

    // ---- requests ----

    @Override
    public void inputReady(IOSession s, ByteBuffer src) {
        if (exchange == null) {
            settings.idleInput().accept(details); // the next head's clock may start (edge.HeadDeadline)
        }
        try {
            if (src != null) {
                input.take(src); // TLS hands over what it decrypted, all of which must be kept
            }
            // Read again in this event only after a read that filled the buffer (SessionInput.filled).
            boolean more = true;
            for (int reads = 0; process() && more && !inputEnded && reads < SessionInput.MAX_READS && session.isOpen();
                    reads++) {
                // Growth for a long head only: a body is handed on as slices, and pipelined heads wait their turn.
                int growTo = exchange != null || draining != null ? 0 : settings.maxHeadBytes() + READ_BUFFER;
                int n = input.read(session, growTo);
                if (n < 0) {
                    endOfStream();
                    return;
                }
                if (n == 0) {
                    return;
                }
                details.received += n;
                more = input.filled();
            }
        } catch (HttpException | IOException | RuntimeException e) {
            fail(e);
        } finally {
            input.release(); // unless part of a head or pipelined requests wait in it
        }
    }

    /**
     * Hands on what the buffer holds: the next request's head once no exchange is in progress, then its body while
     * the window lasts.
     *
     * @return true when more input is wanted now
     */
    private boolean process() throws HttpException, IOException {
        processing = true;
        try {
            for (;;) {
                if (draining != null) {
                    return drain();
                }
                AsyncServerExchangeHandler h = exchange;
                if (h == null) {
                    if (!closeWhenWritten && session.isOpen() && in().hasRemaining() && head()) {
                        continue;
                    }
                    if (closeWhenWritten || inputEnded || !session.isOpen()) {
                        // Every request that came before the client's end is answered (or the answer is going out).
                        input.discard();
                        if (!closeWhenWritten) {
                            closeWhenWritten();
                        }
                        return false;
                    }
                    return true;
                }
                if (body == null) {
                    // The request is all in and its answer is being made. A WebSocket handshake's connection is not
                    // read: it is a tunnel's once answered 101. Else read on, to see the client close, while there
                    // is room for what it pipelines.
                    if (upgrade || input.full()) {
                        session.clearEvent(SelectionKey.OP_READ);
                        return false;
                    }
                    return true;
                }
                if (readPaused) {
                    return false; // the window is used up: what is buffered waits for the exchange's grant
                }
                int n = payload(body);
                if (n > 0) {
                    ByteBuffer slice = in().slice(in().position(), n);
                    in().position(in().position() + n);
                    body.took(n);
                    window -= n;
                    h.consume(slice);
                    if (exchange != h) {
                        continue;
                    }
                    if (window <= 0 && !body.complete()) {
                        readPaused = true;
                        session.clearEvent(SelectionKey.OP_READ);
                        h.updateCapacity(capacity); // may grant at once
                        if (readPaused) {
                            return false;
                        }
                    }
                } else if (body.complete()) {
                    requestComplete(h);
                } else {
                    return true;
                }
            }
        } finally {
            processing = false;
        }
    }

    /** Body bytes ahead in the buffer; a malformed chunk is the error the exchange knows as one. */
    private int payload(BodyDecoder decoder) throws MalformedChunkCodingException {
        try {
            return decoder.payloadAhead(in(), false);
        } catch (ProtocolException e) {
            throw new MalformedChunkCodingException(e.getMessage());
        }
    }

    /** Parses the next request's head once it is all there and starts its exchange; false when more input is needed. */
    private boolean head() throws HttpException, IOException {
        if (headScanned == 0) {
            RequestHeadParser.skipEmptyLines(in());
            if (!in().hasRemaining()) {
                return false;
            }
            if (!RequestHeadParser.mayStartRequest(in())) {
                refuse(HttpStatus.SC_BAD_REQUEST, "not an HTTP/1.x request line");
                return false;
            }
        }
        int end = RequestHeadParser.headEnd(in(), in().position() + Math.max(0, headScanned - 2));
        if (end < 0) {
            headScanned = in().remaining();
            if (headScanned > settings.maxHeadBytes()) {
                refuse(HttpStatus.SC_REQUEST_HEADER_FIELDS_TOO_LARGE, "request head longer than "
                        + settings.maxHeadBytes() + " bytes");
            }
            return false;
        }
        headScanned = 0;
        BasicHttpRequest parsed;
        try {
            parsed = RequestHeadParser.parse(in(), end);
            RequestFraming.check(parsed);
        } catch (ProtocolException e) {
            refuse(statusOf(e), e.getMessage()); // 400; 501 for a transfer coding, 505 for HTTP/2 and later
            return false;
        }
        parsed.setScheme(scheme);
        details.requests++;
        start(parsed);
        return true;
    }

    private void start(HttpRequest head) throws HttpException, IOException {
        context = HttpCoreContext.create();
        context.setEndpointDetails(details);
        TlsDetails tls = session.getTlsDetails();
        if (tls != null) {
            context.setSSLSession(tls.getSSLSession());
        }
        context.setProtocolVersion(head.getVersion());
        context.setRequest(head);
        request = head;
        body = BodyDecoder.forRequest(head);
        upgrade = head.containsHeader(HttpHeaders.UPGRADE);
        window = FlowBuffer.HIGH_WATER;
        readPaused = false;
        answer = Answer.NONE;
        keepAlive = true;
        EntityDetails entity = body == null ? null : new BasicEntityDetails(body.length(), null);
        settings.processor().process(head, entity, context);
        AsyncServerExchangeHandler h = settings.exchanges().create(head, context);
        if (h == null) {
            throw new HttpException("no exchange handler for " + head.getMethod() + " " + head.getRequestUri());
        }
        exchange = h;
        try {
            h.handleRequest(head, entity, responseChannel, context);
        } catch (HttpException e) {
            if (exchange != h || answer != Answer.NONE) {
                throw e;
            }
            // Refused before any answer was given: the client gets one, as for a head refused while parsing.
            failing = true;
            try {
                h.failed(e);
            } finally {
                failing = false;
                end(h);
            }
            refuse(statusOf(e), e.getMessage());
        }
    }

    /** The answer to a request refused with {@code e}. */
    private static int statusOf(HttpException e) {
        if (e instanceof UnsupportedHttpVersionException) {
            return HttpStatus.SC_HTTP_VERSION_NOT_SUPPORTED;
        }
        if (e instanceof NotImplementedException) {
            return HttpStatus.SC_NOT_IMPLEMENTED;
        }
        if (e instanceof MisdirectedRequestException) {
            return HttpStatus.SC_MISDIRECTED_REQUEST;
        }
        return e instanceof ProtocolException ? HttpStatus.SC_BAD_REQUEST : HttpStatus.SC_INTERNAL_SERVER_ERROR;
    }

    /** The request body is all in. */
    private void requestComplete(AsyncServerExchangeHandler h) throws HttpException, IOException {
        List<Header> trailers = body.trailers();
        body = null;
        if (readPaused) {
            readPaused = false;
            session.setEvent(SelectionKey.OP_READ);
        }
        h.streamEnd(trailers.isEmpty() ? null : trailers);
        if (exchange == h && answer == Answer.DONE) {
            exchangeComplete();
        }
    }

    /** The exchange granted more window (on this thread). */
    private void grant(int increment) {
        window = (int) Math.min((long) window + increment, Integer.MAX_VALUE);
        if (window <= 0 || !readPaused) {
            return;
        }
        readPaused = false;
        session.setEvent(SelectionKey.OP_READ);
        resumeInput();
    }

    /** Bytes already read wait in the buffer, and the selector would not say so: taken when this event ends. */
    private void resumeInput() {
        if (!processing && in().hasRemaining()) {
            SharedReactor.afterEvent(() -> {
                if (session.isOpen()) {
                    inputReady(session, null);
                }
            });
        }
    }

    /** After an answer that closes the connection: drops the rest of the request body, then closes. */
    private boolean drain() throws IOException {
        int n;
        try {
            n = draining.payloadAhead(in(), false);
        } catch (ProtocolException e) {
            n = -1;
        }
        if (n > 0) {
            in().position(in().position() + n);
            draining.took(n);
            drained += n;
        }
        if (n < 0 || draining.complete() || drained > DRAIN_LIMIT) {
            draining = null;
            input.discard();
            closeWhenWritten();
            return false;
        }
        return true;
    }

    private void endOfStream() throws HttpException, IOException {
        inputEnded = true;
        session.clearEvent(SelectionKey.OP_READ);
        if (draining != null) {
            draining = null;
            closeWhenWritten();
        } else if (exchange == null) {
            process(); // what is left holds no complete head (it would have been taken): closes
        } else if (body != null) {
            fail(new ConnectionClosedException("Connection closed by peer inside the request body"));
        }
        // else: the request is all in; its answer still goes out (a client may half-close), and the answers to
        // requests pipelined before the end, then the connection closes.
    }

    // ---- answers ----

    private final class Responses implements ResponseChannel {
        @Override
        public void sendInformation(HttpResponse response, HttpContext httpContext) throws HttpException, IOException {
            if (answer != Answer.NONE || exchange == null) {
                throw new HttpException("Response already committed");
            }
            if (response.getCode() < 100 || response.getCode() >= 200) {
                throw new HttpException("Invalid intermediate response: " + response.getCode());
            }
            out = HeadWriter.response(response, HttpVersion.HTTP_1_1, out);
            flush();
        }

        @Override
        public void sendResponse(HttpResponse response, EntityDetails entity, HttpContext httpContext)
                throws HttpException, IOException {
            respond(response, entity);
        }

        @Override
        public void pushPromise(HttpRequest promise, AsyncPushProducer producer, HttpContext httpContext)
                throws HttpException {
            throw new HttpException("HTTP/1.1 does not support server push");
        }

        @Override
        public void terminateExchange() {
            fail(new ConnectionClosedException("exchange terminated"));
        }
    }

    private void respond(HttpResponse response, EntityDetails entity) throws HttpException, IOException {
        AsyncServerExchangeHandler h = exchange;
        if (h == null || answer != Answer.NONE) {
            throw new HttpException("Response already committed");
        }
        if (response.getCode() < 200) {
            throw new HttpException("Invalid response: " + response.getCode());
        }
        ProtocolVersion version = response.getVersion();
        if (version != null) {
            if (!version.lessEquals(HttpVersion.HTTP_1_1)) {
                throw new UnsupportedHttpVersionException(version);
            }
            context.setProtocolVersion(version);
        }
        context.setResponse(response);
        settings.processor().process(response, entity, context);
        boolean bodiless = entity == null || Method.HEAD.isSame(request.getMethod());
        keepAlive = settings.reuse().keepAlive(request, response, context);
        out = HeadWriter.response(response, version == null ? HttpVersion.HTTP_1_1 : version, out);
        details.responses++;
        if (bodiless) {
            answer = Answer.DONE;
            answered(h);
            return;
        }
        answer = Answer.BODY;
        answerRemaining = framing(response);
        if (answerRemaining == -2) {
            keepAlive = false;
        }
        h.produce(bodyChannel);
        if (exchange == h && answer == Answer.BODY) {
            session.setEvent(SelectionKey.OP_WRITE);
        }
    }

    /** How the answer's body is delimited on the wire, as its head (framed by the processor) says. */
    private static long framing(HttpResponse response) {
        Header te = response.getFirstHeader(HttpHeaders.TRANSFER_ENCODING);
        if (te != null) {
            return te.getValue().equalsIgnoreCase(HeaderElements.CHUNKED_ENCODING) ? -1 : -2;
        }
        Header length = response.getFirstHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                return Long.parseLong(length.getValue().trim());
            } catch (NumberFormatException e) {
                return -2;
            }
        }
        return -2;
    }

    private final class BodyChannel implements DataStreamChannel {
        @Override
        public void requestOutput() {
            session.setEvent(SelectionKey.OP_WRITE);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (answer != Answer.BODY) {
                return 0;
            }
            if (out.position() >= WRITE_HIGH) {
                flush();
                if (out.position() >= WRITE_HIGH) {
                    return 0;
                }
            }
            int n = (int) Math.min(src.remaining(), answerRemaining >= 0 ? answerRemaining : WRITE_HIGH);
            if (n == 0) {
                return 0;
            }
            if (answerRemaining != -1 && n > FlowBuffer.COALESCE) {
                return writeThrough(src, n); // a large piece goes from its own buffer, behind what is before it
            }
            out = HeadWriter.room(out, n + 16);
            if (answerRemaining == -1) {
                out = HeadWriter.chunkStart(out, n);
            } else if (answerRemaining >= 0) {
                answerRemaining -= n;
            }
            out.put(out.position(), src, src.position(), n);
            out.position(out.position() + n);
            src.position(src.position() + n);
            if (answerRemaining == -1) {
                out = HeadWriter.chunkEnd(out);
            }
            return n;
        }

        private int writeThrough(ByteBuffer src, int n) throws IOException {
            flush();
            if (out.position() > 0) {
                return 0;
            }
            int limit = src.limit();
            src.limit(src.position() + n);
            int written;
            try {
                written = session.write(src);
            } finally {
                src.limit(limit);
            }
            details.sent += written;
            if (answerRemaining >= 0) {
                answerRemaining -= written;
            }
            if (written < n) {
                session.setEvent(SelectionKey.OP_WRITE); // the socket is full: the selector says when it takes more
            }
            return written;
        }

        @Override
        public void endStream() throws IOException {
            endStream(null);
        }

        @Override
        public void endStream(List<? extends Header> trailers) throws IOException {
            AsyncServerExchangeHandler h = exchange;
            if (h == null || answer != Answer.BODY) {
                return;
            }
            if (answerRemaining > 0) {
                throw new IOException("the answer ended " + answerRemaining + " bytes short of its Content-Length");
            }
            if (answerRemaining == -1) {
                out = HeadWriter.lastChunk(out, trailers);
            }
            answer = Answer.DONE;
            answered(h);
        }
    }

    /** The answer is all in {@link #out}: the exchange is over if its request is all in too. */
    private void answered(AsyncServerExchangeHandler h) throws IOException {
        session.setEvent(SelectionKey.OP_WRITE);
        if (failing) {
            return; // answered while being told of its failure: fail() ends it once the exchange is done with that
        }
        if (body == null) {
            exchangeComplete();
        } else if (!keepAlive) {
            // The connection closes after this answer: the rest of the request body is read and dropped first, so
            // that the client, still sending, does not get a reset that could destroy the answer before it is read.
            draining = body;
            drained = 0;
            body = null;
            end(h);
            if (readPaused) {
                readPaused = false;
                session.setEvent(SelectionKey.OP_READ);
            }
            resumeInput();
        }
        // else: the request body still comes, for the exchange, which is over once it is all in.
    }

    /** Request and answer are complete: the exchange ends, and the connection waits for the next or closes. */
    private void exchangeComplete() throws IOException {
        AsyncServerExchangeHandler h = exchange;
        end(h);
        if (!keepAlive || closeWhenIdle || (inputEnded && !in().hasRemaining())) {
            closeWhenWritten();
            return;
        }
        if (!inputEnded) {
            session.setEvent(SelectionKey.OP_READ);
        }
        input.shrink(); // a long head's buffer goes
        input.release();
        resumeInput(); // a pipelined request may be waiting
    }

    private void end(AsyncServerExchangeHandler h) {
        exchange = null;
        context = null;
        request = null;
        body = null;
        h.releaseResources();
    }

    /** Answers a head that was refused while parsing, then closes; no exchange runs for it. */
    private void refuse(int status, String reason) throws HttpException, IOException {
        session.clearEvent(SelectionKey.OP_READ);
        input.discard();
        HttpCoreContext refusal = HttpCoreContext.create();
        refusal.setEndpointDetails(details);
        refusal.setProtocolVersion(HttpVersion.HTTP_1_1);
        byte[] text = (reason + "\n").getBytes(StandardCharsets.UTF_8);
        BasicHttpResponse response = new BasicHttpResponse(status);
        response.setHeader(HttpHeaders.CONNECTION, HeaderElements.CLOSE);
        response.setHeader(HttpHeaders.CONTENT_TYPE, ContentType.TEXT_PLAIN.withCharset(StandardCharsets.UTF_8).toString());
        settings.processor().process(response, new BasicEntityDetails(text.length, ContentType.TEXT_PLAIN), refusal);
        out = HeadWriter.response(response, HttpVersion.HTTP_1_1, out);
        out = HeadWriter.room(out, text.length);
        out.put(text);
        details.responses++;
        closeWhenWritten();
    }

    private void closeWhenWritten() throws IOException {
        closeWhenWritten = true;
        session.clearEvent(SelectionKey.OP_READ);
        if (!session.isOpen()) {
            session.close(CloseMode.GRACEFUL); // closing already (TLS after the peer's end): let it finish
            return;
        }
        flush();
        if (out.position() == 0) {
            session.close(CloseMode.GRACEFUL);
        }
    }

    private void flush() throws IOException {
        details.sent += SessionOutput.flush(out, session);
    }

    // ---- the rest of the session's events ----

    @Override
    public void outputReady(IOSession s) {
        try {
            for (Command c = session.poll(); c != null; c = session.poll()) {
                command(c);
            }
            flush();
            if (out.position() == 0 && answer == Answer.BODY && exchange != null && exchange.available() > 0) {
                exchange.produce(bodyChannel);
                flush();
            }
            if (out.position() > 0) {
                return;
            }
            if (closeWhenWritten) {
                session.close(CloseMode.GRACEFUL);
            } else if (answer != Answer.BODY || exchange == null || exchange.available() <= 0) {
                session.clearEvent(SelectionKey.OP_WRITE);
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    private void command(Command c) throws IOException {
        if (c instanceof ShutdownCommand shutdown) {
            if (shutdown.getType() == CloseMode.IMMEDIATE) {
                fail(new ConnectionClosedException("connection shut down"));
            } else if (exchange == null) {
                closeWhenWritten();
            } else {
                closeWhenIdle = true;
            }
        } else {
            c.cancel();
        }
    }

    @Override
    public void timeout(IOSession s, Timeout timeout) {
        fail(new SocketTimeoutException("client connection idle for " + timeout));
    }

    @Override
    public void exception(IOSession s, Exception cause) {
        fail(cause);
    }

    /**
     * The connection is closed, or a WebSocket tunnel took it over and lets go of this handler: the exchange in
     * progress, if any, ends. The session is not touched (a tunnel's now).
     */
    @Override
    public void disconnected(IOSession s) {
        AsyncServerExchangeHandler h = exchange;
        if (h != null) {
            exchange = null;
            try {
                if (answer != Answer.DONE || body != null) {
                    h.failed(new ConnectionClosedException());
                }
            } finally {
                h.releaseResources();
            }
        }
        context = null;
        request = null;
        input.discard();
    }

    /**
     * The exchange in progress, if any, fails and the connection closes: at once when nothing of an answer is left to
     * write, else once what the exchange answered on failing (a 400 for a malformed body) is out.
     */
    private void fail(Exception cause) {
        AsyncServerExchangeHandler h = exchange;
        body = null;
        draining = null;
        keepAlive = false;
        input.discard();
        if (h != null) {
            failing = true;
            try {
                h.failed(cause); // may still answer (RelayDispatcher: a 400 for a malformed body)
            } finally {
                failing = false;
                if (exchange == h) {
                    end(h);
                }
            }
        } else {
            settings.exceptions().execute(cause);
        }
        if (!session.isOpen()) {
            return;
        }
        session.clearEvent(SelectionKey.OP_READ);
        try {
            closeWhenWritten();
        } catch (IOException | RuntimeException e) {
            session.close(CloseMode.IMMEDIATE);
        }
    }
}
