package io.towerrelay.h2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import org.apache.hc.core5.function.Callback;
import org.apache.hc.core5.http2.H2ConnectionException;
import org.apache.hc.core5.http2.H2Error;
import org.apache.hc.core5.http2.impl.nio.ServerH2IOEventHandler;
import org.apache.hc.core5.http2.impl.nio.ServerH2StreamMultiplexerFactory;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 client connection: HttpCore5's server multiplexer ({@link ServerH2IOEventHandler}) behind a frame
 * screen, as the HTTP/1.1 path screens request heads before HttpCore5 acts on them. This handler owns the session
 * for the connection's life: it checks the client preface (instead of {@code ServerH2PrefaceHandler}), splits the
 * decrypted input into frames, asks {@link FrameScreen} about each, and hands the multiplexer only the frames it
 * lets through, with the reserved stream-id bit cleared (HttpCore5 takes the id's absolute value instead).
 * A refused frame ends the connection through the multiplexer itself, which sends GOAWAY with the screen's error
 * code and the last stream it processed, so what it had started is cancelled cleanly.
 *
 * <p>Closing lingers ({@link ClosingSession}): after the multiplexer asks to close, input is read and dropped while
 * its last frames (the GOAWAY) are written; once they are, the session closes gracefully: TLS close_notify after
 * them (the client reads the end of the stream), then HttpCore5 reads (and this handler drops) what the client
 * still sends until it closes too, and only then closes the socket, so it is closed with nothing unread (a FIN,
 * not the TCP reset that would destroy the GOAWAY at the client). All of it within {@link #LINGER}; a client that
 * does not close by then is cut off. While the GOAWAY cannot be written (a client that does not read), after
 * {@link #LINGER_BYTES} more input it stops reading, so a client that keeps sending costs no more than the
 * kernel's buffers.
 *
 * <p>A connection error the multiplexer finds itself (HttpCore5 throws {@link H2ConnectionException}, an
 * {@link IOException}, out of its {@code inputReady}) is handed back to it here, as the screen's own are: let out
 * to the reactor, it closed the session at once (InternalChannel.handleIOEvent), bypassing the linger, and a
 * GOAWAY still queued behind a response's frames was then written to a closed session, which ended in an
 * immediate close (a reset) without the GOAWAY.
 * HTTP/2 runs only over TLS here (ALPN), where the decrypted bytes reach the handler as {@code inputReady}'s
 * buffer; nothing reaches the multiplexer any other way.
 */
final class ScreenedH2Connection implements IOEventHandler, ClosingSession.Closer {
    private static final Logger LOG = LoggerFactory.getLogger(ScreenedH2Connection.class);
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int HEAD = 9;
    /** How long a closing connection keeps reading (and dropping) before it closes for good. */
    static final Timeout LINGER = Timeout.ofSeconds(2);
    static final int LINGER_BYTES = 256 * 1024;

    private enum State { PREFACE, OPEN, LINGER, CLOSED }

    private final ProtocolIOSession session;
    private final ClosingSession multiplexerSession;
    private final ServerH2StreamMultiplexerFactory factory;
    private final Callback<Exception> exceptions;
    private final FrameScreen screen;
    private final H2Limits limits;
    /** Bytes not yet judged: the preface, then at most one frame (head and payload). */
    private final ByteBuffer input;
    /** Frames let through, handed to the multiplexer after each read. */
    private final ByteBuffer forward;
    private ServerH2IOEventHandler multiplexer;
    private State state = State.PREFACE;
    private long lingerUntil;
    private int lingerBytes;
    /** A GOAWAY the screen writes itself (bad preface: no multiplexer yet), not yet written out. */
    private ByteBuffer ownOutput;

    ScreenedH2Connection(ProtocolIOSession session, ServerH2StreamMultiplexerFactory factory, H2Limits limits,
            Callback<Exception> exceptions) {
        this.session = session;
        this.factory = factory;
        this.limits = limits;
        this.exceptions = exceptions;
        this.screen = new FrameScreen(limits, System::nanoTime);
        this.multiplexerSession = new ClosingSession(session, this, screen::dataSent);
        this.input = ByteBuffer.allocate(HEAD + limits.maxFrameSize());
        this.forward = ByteBuffer.allocate(HEAD + limits.maxFrameSize());
    }

    @Override
    public void connected(IOSession ioSession) {
        session.setEvent(SelectionKey.OP_READ); // the client speaks first (its preface)
    }

    @Override
    public void inputReady(IOSession ioSession, ByteBuffer src) throws IOException {
        try {
            screenInput(src);
        } catch (H2ConnectionException e) {
            connectionError(e);
            if (state == State.LINGER) {
                drain(src); // the rest of this read
            }
        }
    }

    /**
     * A connection error the multiplexer threw (e.g. a HEADERS frame on a stream id it has seen): it answers it as
     * the screen's own ({@link #refuse}), GOAWAY then the lingering close, instead of the reactor closing at once.
     */
    private void connectionError(H2ConnectionException e) throws IOException {
        if (multiplexer == null || state != State.OPEN) {
            throw e;
        }
        LOG.debug("HTTP/2 connection error from {}: {}", session.getRemoteAddress(), e.getMessage());
        multiplexer.exception(multiplexerSession, e);
        if (state == State.OPEN) {
            closeRequested(CloseMode.GRACEFUL);
        }
    }

    private void screenInput(ByteBuffer src) throws IOException {
        if (state == State.LINGER || state == State.CLOSED) {
            drain(src);
            return;
        }
        while (src != null && src.hasRemaining() && (state == State.PREFACE || state == State.OPEN)) {
            int n = Math.min(src.remaining(), input.remaining());
            input.put(src.slice().limit(n));
            src.position(src.position() + n);
            input.flip();
            try {
                if (state == State.PREFACE && !preface()) {
                    continue;
                }
                if (state == State.OPEN) {
                    frames();
                }
            } finally {
                input.compact();
            }
        }
        if (state == State.OPEN && multiplexer != null) {
            if (src == null) {
                multiplexer.inputReady(multiplexerSession, null); // lets it read the end of stream
            }
        } else if (state == State.LINGER) {
            drain(src);
        } else if (state == State.PREFACE && src == null && session.read(ByteBuffer.allocate(0)) < 0) {
            session.close(CloseMode.IMMEDIATE);
        }
    }

    /** Checks the client preface; true once it matched and the multiplexer started. */
    private boolean preface() throws IOException {
        int n = Math.min(input.remaining(), PREFACE.length);
        for (int i = 0; i < n; i++) {
            if (input.get(input.position() + i) != PREFACE[i]) {
                LOG.debug("closing HTTP/2 connection from {}: invalid client preface", session.getRemoteAddress());
                goAwayWithoutMultiplexer(H2Error.PROTOCOL_ERROR);
                return false;
            }
        }
        if (n < PREFACE.length) {
            return false;
        }
        input.position(input.position() + PREFACE.length);
        multiplexer = new ServerH2IOEventHandler(factory.create(multiplexerSession));
        state = State.OPEN;
        multiplexer.connected(multiplexerSession); // sends the relay's SETTINGS
        return true;
    }

    /** Judges every complete frame in {@link #input} and hands those let through to the multiplexer. */
    private void frames() throws IOException {
        forward.clear();
        while (state == State.OPEN && input.remaining() >= HEAD) {
            int at = input.position();
            int length = ((input.get(at) & 0xff) << 16) | ((input.get(at + 1) & 0xff) << 8) | (input.get(at + 2) & 0xff);
            int type = input.get(at + 3) & 0xff;
            int flags = input.get(at + 4) & 0xff;
            int streamId = input.getInt(at + 5) & 0x7fffffff;
            FrameScreen.Verdict verdict = screen.checkLength(type, length);
            if (verdict == null) {
                if (input.remaining() < HEAD + length) {
                    break; // the rest of the payload comes with a later read
                }
                verdict = screen.check(type, flags, streamId, input.slice(at + HEAD, length));
            }
            if (verdict.failed()) {
                deliver();
                refuse(verdict);
                return;
            }
            if (verdict.resets()) {
                resetStream(verdict);
                input.position(at + HEAD + length);
                continue;
            }
            if (verdict.replacement() != null) {
                ByteBuffer frames = verdict.replacement();
                if (forward.remaining() < frames.remaining()) {
                    deliver();
                }
                if (forward.remaining() >= frames.remaining()) {
                    forward.put(frames);
                } else {
                    multiplexer.inputReady(multiplexerSession, frames); // a block larger than one frame
                }
                input.position(at + HEAD + length);
                continue;
            }
            if (verdict.forward()) {
                if (forward.remaining() < HEAD + length) {
                    deliver();
                }
                forward.put(input.slice(at, HEAD + length));
                forward.putInt(forward.position() - length - 4, streamId); // reserved bit cleared
            }
            input.position(at + HEAD + length);
        }
        deliver();
    }

    private void deliver() throws IOException {
        if (forward.position() == 0 || multiplexer == null) {
            return;
        }
        forward.flip();
        multiplexer.inputReady(multiplexerSession, forward);
        forward.clear();
    }

    /**
     * A stream error: the client gets RST_STREAM with the screen's code, written between the multiplexer's frames,
     * and the multiplexer is handed a RST_STREAM (CANCEL) from the client for the stream, so it drops the stream
     * (and the exchange behind it) without answering.
     */
    private void resetStream(FrameScreen.Verdict verdict) throws IOException {
        LOG.debug("HTTP/2 stream error from {}: {} ({})", session.getRemoteAddress(), verdict.reason(), verdict.error());
        multiplexerSession.inject(rstStream(verdict.resetStream(), verdict.error()));
        if (forward.remaining() < HEAD + 4) {
            deliver();
        }
        forward.put(rstStream(verdict.resetStream(), H2Error.CANCEL));
    }

    private static ByteBuffer rstStream(int streamId, H2Error error) {
        ByteBuffer frame = ByteBuffer.allocate(HEAD + 4);
        frame.put((byte) 0).putShort((short) 4).put((byte) FrameScreen.RST_STREAM).put((byte) 0).putInt(streamId);
        return frame.putInt(error.getCode()).flip();
    }

    private void refuse(FrameScreen.Verdict verdict) {
        LOG.debug("HTTP/2 connection error from {}: {} ({})", session.getRemoteAddress(), verdict.reason(), verdict.error());
        if (verdict.error() == H2Error.ENHANCE_YOUR_CALM) {
            LOG.info("closing HTTP/2 connection from {}: {}", session.getRemoteAddress(), verdict.reason());
        }
        // The multiplexer answers its own way: GOAWAY with this code, cancels its streams, asks to close.
        multiplexer.exception(multiplexerSession, new H2ConnectionException(verdict.error(), verdict.reason()));
        if (state == State.OPEN) {
            closeRequested(CloseMode.GRACEFUL);
        }
    }

    private void goAwayWithoutMultiplexer(H2Error error) {
        ByteBuffer frame = ByteBuffer.allocate(HEAD + 8);
        frame.put((byte) 0).putShort((short) 8).put((byte) FrameScreen.GOAWAY).put((byte) 0).putInt(0);
        frame.putInt(0).putInt(error.getCode()).flip();
        ownOutput = frame;
        session.setEvent(SelectionKey.OP_WRITE);
        closeRequested(CloseMode.GRACEFUL);
    }

    /**
     * The multiplexer (or the screen) is done with the connection: linger while its last frames are written, then
     * close gracefully ({@link #outputReady}).
     */
    @Override
    public void closeRequested(CloseMode mode) {
        if (state == State.LINGER || state == State.CLOSED) {
            return;
        }
        state = State.LINGER;
        lingerUntil = System.nanoTime() + LINGER.toNanoseconds();
        session.setSocketTimeout(LINGER);
        session.setEvent(SelectionKey.OP_READ);
        session.setEvent(SelectionKey.OP_WRITE); // outputReady writes what is left, then closes
    }

    /**
     * Lingering: reads and drops input. Before the graceful close: until the client closes, the time is up, or it
     * sent too much. After it (HttpCore5 reads on until the client closes): until the time is up.
     */
    private void drain(ByteBuffer src) throws IOException {
        if (src != null) {
            lingerBytes += src.remaining();
            src.position(src.limit());
        }
        boolean eof = session.read(ByteBuffer.allocate(0)) < 0;
        if (state == State.CLOSED) {
            if (!eof && System.nanoTime() - lingerUntil > 0) {
                session.close(CloseMode.IMMEDIATE); // still sending after LINGER: its GOAWAY went out long ago
            }
            return;
        }
        if (lingerBytes > LINGER_BYTES) {
            // A client that keeps sending after GOAWAY is no longer read: its sends stall in the kernel's buffers
            // while it can still read the GOAWAY, and the socket timeout (LINGER) closes the connection. Closing at
            // once would reset it, and the reset can destroy the GOAWAY before the client reads it.
            session.clearEvent(SelectionKey.OP_READ);
        } else if (eof || System.nanoTime() - lingerUntil > 0) {
            finish(CloseMode.GRACEFUL);
        }
    }

    /**
     * Closes the session: GRACEFUL once (it drains, see the class comment), IMMEDIATE whenever asked, also during a
     * graceful close (an I/O error there, e.g. the client gone: ignoring it kept the session spinning on the error).
     */
    private void finish(CloseMode mode) {
        if (state != State.CLOSED || mode == CloseMode.IMMEDIATE) {
            if (mode == CloseMode.GRACEFUL) {
                try {
                    multiplexerSession.flushPending(); // its last frames (the GOAWAY) before close_notify
                } catch (IOException e) {
                    mode = CloseMode.IMMEDIATE;
                }
            }
            state = State.CLOSED;
            session.close(mode);
        }
    }

    @Override
    public void outputReady(IOSession ioSession) throws IOException {
        if (ownOutput != null) {
            session.write(ownOutput);
            if (!ownOutput.hasRemaining()) {
                ownOutput = null;
                session.clearEvent(SelectionKey.OP_WRITE);
                if (state == State.LINGER) {
                    finish(CloseMode.GRACEFUL); // the GOAWAY is written: close_notify after it
                }
            }
            return;
        }
        if (multiplexer != null && state != State.CLOSED) {
            int closeRequests = multiplexerSession.closeRequests();
            try {
                multiplexerSession.flushInjected();
                multiplexer.outputReady(multiplexerSession); // also while lingering: its GOAWAY may still be queued
            } catch (H2ConnectionException e) {
                connectionError(e);
                return;
            }
            if (!multiplexerSession.flushPending() || multiplexerSession.hasInjected()) {
                session.setEvent(SelectionKey.OP_WRITE);
            } else if (state == State.LINGER && multiplexerSession.closeRequests() > closeRequests) {
                // It asked to close with nothing of its own left to write: the GOAWAY is in the session, and the
                // graceful close writes it out before close_notify.
                finish(CloseMode.GRACEFUL);
                return;
            }
        } else {
            session.clearEvent(SelectionKey.OP_WRITE);
        }
        if (state == State.LINGER && System.nanoTime() - lingerUntil > 0) {
            finish(CloseMode.GRACEFUL);
        }
    }

    @Override
    public void timeout(IOSession ioSession, Timeout timeout) throws IOException {
        if (state == State.CLOSED) {
            session.close(CloseMode.IMMEDIATE); // the graceful close got no answer within LINGER either
            return;
        }
        if (state == State.LINGER || state == State.PREFACE || multiplexer == null) {
            // Graceful: everything the client sent was read, so the close is a FIN (with TLS close_notify first),
            // not the reset an immediate close makes (SO_LINGER 0).
            finish(CloseMode.GRACEFUL);
            return;
        }
        try {
            multiplexer.timeout(multiplexerSession, timeout);
        } catch (H2ConnectionException e) {
            connectionError(e);
        }
    }

    @Override
    public void exception(IOSession ioSession, Exception cause) {
        if (multiplexer != null && state == State.OPEN) {
            multiplexer.exception(multiplexerSession, cause);
        } else {
            if (exceptions != null && !(cause instanceof IOException)) {
                exceptions.execute(cause);
            }
            finish(CloseMode.IMMEDIATE);
        }
    }

    @Override
    public void disconnected(IOSession ioSession) {
        state = State.CLOSED;
        if (multiplexer != null) {
            multiplexer.disconnected(multiplexerSession);
        }
    }

    @Override
    public String toString() {
        return "h2 " + session.getRemoteAddress() + " " + state;
    }
}
