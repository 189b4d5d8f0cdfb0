package io.towerrelay.bench.floor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.util.List;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.CharArrayBuffer;
import org.apache.hc.core5.util.Timeout;

/**
 * An upstream keep-alive connection, on the I/O thread of the client connections it serves. It writes a request
 * head, reads the answer and writes each chunk to the client in the event that read it; while the client's socket
 * holds back bytes it is not read (the backpressure rule: the next chunk is read only when the last was written).
 */
final class UpstreamSide implements IOEventHandler {
    /** Reads per input event while each fills the buffer (the socket may hold more). */
    private static final int MAX_READS = 4;

    private final ReactorProxy.Workers.Worker worker;
    private final HeadBuffer in = new HeadBuffer(16 * 1024);
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
    private IOSession session;
    private ClientSide client;
    private byte[] headToSend;
    private boolean bodiless;
    /** Body bytes still to come, or -1 while the answer's head is awaited. */
    private long remaining = -1;
    private boolean keepAlive;
    /** Not read while the client's socket holds back what was written to it. */
    private boolean paused;

    UpstreamSide(ReactorProxy.Workers.Worker worker) {
        this.worker = worker;
    }

    /** Holds the first request until the connection is up. */
    void sendOnConnect(ClientSide requester, byte[] head, boolean headRequest) {
        client = requester;
        headToSend = head;
        bodiless = headRequest;
    }

    @Override
    public void connected(IOSession s) throws IOException {
        session = s;
        send(client, headToSend, bodiless);
        headToSend = null;
    }

    void send(ClientSide requester, byte[] head, boolean headRequest) throws IOException {
        client = requester;
        bodiless = headRequest;
        remaining = -1;
        ByteBuffer bytes = ByteBuffer.wrap(head);
        ((ByteChannel) session).write(bytes);
        if (bytes.hasRemaining()) {
            fail(); // an idle connection's empty socket buffer takes a head whole; it did not: give up on it
        }
    }

    @Override
    public void inputReady(IOSession s, ByteBuffer src) throws IOException {
        if (paused) {
            return;
        }
        if (client == null) {
            s.close(CloseMode.GRACEFUL); // idle: the upstream closed it or sent what nobody asked for
            return;
        }
        for (int reads = 0; reads < MAX_READS && client != null && !client.blocked(); reads++) {
            boolean filled = remaining < 0 ? readHead() : readBody();
            if (!filled) {
                return;
            }
        }
    }

    /** @return true when the read filled the buffer (the socket may hold more) */
    private boolean readHead() throws IOException {
        int n = in.readFrom((ByteChannel) session);
        if (n < 0) {
            fail();
            return false;
        }
        boolean filled = in.isFull();
        List<CharArrayBuffer> lines = in.takeHead();
        if (lines == null) {
            if (in.isFull()) {
                fail();
            }
            return false;
        }
        Heads.Response response;
        try {
            response = Heads.response(lines);
        } catch (ParseException | IndexOutOfBoundsException e) {
            fail();
            return false;
        }
        int status = response.line().getStatusCode();
        if (status < 200) {
            return !in.isEmpty() || in.isFull(); // 1xx: the final answer follows
        }
        String length = Heads.value(response.headers(), "Content-Length");
        if (bodiless || status == 204 || status == 304) {
            remaining = 0;
        } else if (length != null && Heads.value(response.headers(), "Transfer-Encoding") == null) {
            remaining = Long.parseLong(length.trim());
        } else {
            fail(); // chunked or close-delimited: not this floor's work
            return false;
        }
        keepAlive = !Heads.wantsClose(response.headers());
        chunk.clear();
        chunk.put(Heads.clientResponse(response, client.closesAfterAnswer()));
        remaining -= in.moveTo(chunk, remaining);
        chunk.flip();
        client.write(chunk);
        return !endIfComplete() && filled;
    }

    private boolean readBody() throws IOException {
        chunk.clear();
        if (remaining < chunk.capacity()) {
            chunk.limit((int) remaining);
        }
        int n = ((ByteChannel) session).read(chunk);
        if (n < 0) {
            fail();
            return false;
        }
        if (n == 0) {
            return false;
        }
        boolean filled = !chunk.hasRemaining();
        remaining -= n;
        chunk.flip();
        client.write(chunk);
        return !endIfComplete() && filled;
    }

    /** At the answer's end the connection goes back to this thread's pool before the client may send again. */
    private boolean endIfComplete() throws IOException {
        if (remaining != 0) {
            return false;
        }
        ClientSide answered = client;
        client = null;
        remaining = -1;
        if (keepAlive && in.isEmpty()) {
            worker.idle.addLast(this);
        } else {
            session.close(CloseMode.GRACEFUL);
        }
        answered.answerEnded();
        return true;
    }

    /** The client's socket did not take everything: read no more until it has. */
    void pause() {
        paused = true;
        session.clearEvent(SelectionKey.OP_READ);
    }

    /** The client's socket took its pending bytes: read on. */
    void resume() {
        if (paused) {
            paused = false;
            session.setEvent(SelectionKey.OP_READ);
        }
    }

    /** The client left mid-answer: this connection's stream is out of step, close it. */
    void clientGone() {
        client = null;
        session.close(CloseMode.IMMEDIATE);
    }

    private void fail() {
        ClientSide c = client;
        client = null;
        long state = remaining;
        remaining = -1;
        if (session != null) {
            session.close(CloseMode.IMMEDIATE);
        }
        if (c != null) {
            if (state < 0) {
                c.upstreamFailed();
            } else {
                c.upstreamBroke();
            }
        }
    }

    @Override
    public void outputReady(IOSession s) {
        s.clearEvent(SelectionKey.OP_WRITE);
    }

    @Override
    public void timeout(IOSession s, Timeout timeout) {
        fail();
    }

    @Override
    public void exception(IOSession s, Exception cause) {
        fail();
    }

    @Override
    public void disconnected(IOSession s) {
        worker.idle.remove(this);
        fail();
    }
}
