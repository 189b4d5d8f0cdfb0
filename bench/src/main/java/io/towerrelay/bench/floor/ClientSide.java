package io.towerrelay.bench.floor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.util.List;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.CharArrayBuffer;
import org.apache.hc.core5.util.Timeout;

/**
 * A client connection: one request at a time (pipelined ones wait in the buffer), each sent upstream on a pooled
 * connection of this thread, its answer written back by {@link UpstreamSide} as it is read.
 */
final class ClientSide implements IOEventHandler {
    private final ReactorProxy.Workers workers;
    private final InetSocketAddress backend;
    private final int listenerPort;
    private final HeadBuffer in = new HeadBuffer(16 * 1024);
    private IOSession session;
    /** The upstream connection answering the current request; null between requests. */
    private UpstreamSide upstream;
    private boolean closeAfterAnswer;
    /** Answer bytes the socket did not take; the upstream is not read until they are out. */
    private ByteBuffer pending;
    private boolean answerEnded;
    /** Reading stopped because the buffer is full of pipelined requests. */
    private boolean readPaused;

    ClientSide(ReactorProxy.Workers workers, InetSocketAddress backend, int listenerPort) {
        this.workers = workers;
        this.backend = backend;
        this.listenerPort = listenerPort;
    }

    @Override
    public void connected(IOSession s) {
        session = s;
    }

    @Override
    public void inputReady(IOSession s, ByteBuffer src) throws IOException {
        if (in.isFull() && upstream != null) {
            readPaused = true; // pipelined requests fill the buffer: read on when one is served
            s.clearEvent(SelectionKey.OP_READ);
            return;
        }
        if (in.readFrom((ByteChannel) s) < 0) {
            s.close(CloseMode.GRACEFUL);
            return;
        }
        nextRequest();
    }

    private void nextRequest() throws IOException {
        if (upstream != null) {
            return;
        }
        List<CharArrayBuffer> lines = in.takeHead();
        if (lines == null) {
            if (in.isFull()) {
                answerAndClose(431, "Request Header Fields Too Large");
            }
            return;
        }
        Heads.Request request;
        try {
            request = Heads.request(lines);
        } catch (ParseException | IndexOutOfBoundsException e) {
            answerAndClose(400, "Bad Request");
            return;
        }
        String length = Heads.value(request.headers(), "Content-Length");
        if (Heads.value(request.headers(), "Transfer-Encoding") != null || (length != null && !length.equals("0"))) {
            answerAndClose(501, "Not Implemented"); // request bodies are not this floor's work
            return;
        }
        closeAfterAnswer = Heads.wantsClose(request.headers())
                || !request.line().getProtocolVersion().greaterEquals(HttpVersion.HTTP_1_1);
        String client = ((InetSocketAddress) session.getRemoteAddress()).getAddress().getHostAddress();
        byte[] head = Heads.upstreamRequest(request, client, listenerPort);
        boolean bodiless = request.line().getMethod().equals("HEAD");
        ReactorProxy.Workers.Worker worker = ReactorProxy.Workers.current();
        UpstreamSide pooled = worker.idle.pollLast();
        if (pooled != null) {
            upstream = pooled;
            pooled.send(this, head, bodiless);
            return;
        }
        UpstreamSide fresh = new UpstreamSide(worker);
        upstream = fresh;
        fresh.sendOnConnect(this, head, bodiless);
        workers.initiator(worker).connect(new HttpHost(backend.getHostString(), backend.getPort()), backend, null,
                Timeout.ofSeconds(5), fresh, new FutureCallback<>() {
                    @Override
                    public void completed(IOSession result) {
                    }

                    @Override
                    public void failed(Exception ex) {
                        upstreamFailed();
                    }

                    @Override
                    public void cancelled() {
                        upstreamFailed();
                    }
                });
    }

    /** Writes answer bytes; what the socket does not take waits, and the upstream is paused until it is out. */
    void write(ByteBuffer bytes) throws IOException {
        ((ByteChannel) session).write(bytes);
        if (bytes.hasRemaining()) {
            pending = ByteBuffer.allocate(bytes.remaining()).put(bytes).flip();
            session.setEvent(SelectionKey.OP_WRITE);
            if (upstream != null) {
                upstream.pause();
            }
        }
    }

    boolean closesAfterAnswer() {
        return closeAfterAnswer;
    }

    /** True while written bytes wait for the socket: the upstream must not be read. */
    boolean blocked() {
        return pending != null;
    }

    /** The answer is complete upstream (its last bytes were handed to {@link #write}). */
    void answerEnded() throws IOException {
        answerEnded = true;
        if (pending == null) {
            finishAnswer();
        }
    }

    private void finishAnswer() throws IOException {
        upstream = null;
        answerEnded = false;
        if (closeAfterAnswer) {
            session.close(CloseMode.GRACEFUL);
            return;
        }
        if (readPaused) {
            readPaused = false;
            session.setEvent(SelectionKey.OP_READ);
        }
        nextRequest();
    }

    /** The upstream connection failed before any of the answer was written: the client gets a 502. */
    void upstreamFailed() {
        upstream = null;
        answerAndClose(502, "Bad Gateway");
    }

    /** The upstream connection failed in the middle of the answer: the client's connection is cut. */
    void upstreamBroke() {
        upstream = null;
        session.close(CloseMode.IMMEDIATE);
    }

    private void answerAndClose(int status, String reason) {
        try {
            ((ByteChannel) session).write(ByteBuffer.wrap(Heads.ownAnswer(status, reason)));
        } catch (IOException e) {
            // the client is gone; closing is all there is left to do
        }
        session.close(CloseMode.GRACEFUL);
    }

    @Override
    public void outputReady(IOSession s) throws IOException {
        if (pending != null) {
            ((ByteChannel) s).write(pending);
            if (pending.hasRemaining()) {
                return;
            }
            pending = null;
        }
        s.clearEvent(SelectionKey.OP_WRITE);
        if (answerEnded) {
            finishAnswer();
        } else if (upstream != null) {
            upstream.resume();
        }
    }

    @Override
    public void timeout(IOSession s, Timeout timeout) {
        s.close(CloseMode.GRACEFUL);
    }

    @Override
    public void exception(IOSession s, Exception cause) {
        s.close(CloseMode.IMMEDIATE);
    }

    @Override
    public void disconnected(IOSession s) {
        UpstreamSide u = upstream;
        upstream = null;
        if (u != null) {
            u.clientGone(); // mid-answer: that connection cannot be reused
        }
    }
}
