package io.towerrelay.probe;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/**
 * One WebSocket as the Tower UI opens it (Java-WebSocket client): the page's cookies and Origin, no pings
 * of its own (browsers send none, so idle sockets look to proxies exactly as the UI's do).
 */
final class ProbeSocket extends WebSocketClient {
    static final String USER_AGENT = "tower-relay-probe (like the Tower UI)";

    private final boolean verifyHostname;
    private final CountDownLatch settled = new CountDownLatch(1);
    private final AtomicReference<byte[]> answer = new AtomicReference<>();
    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final AtomicReference<CloseInfo> close = new AtomicReference<>();
    private final AtomicReference<Exception> error = new AtomicReference<>();
    private volatile boolean opened;
    private volatile long phaseStart = System.nanoTime();

    private ProbeSocket(URI uri, CapturingDraftHolder holder, Map<String, String> headers, SSLContext tls,
            boolean verifyHostname, Duration timeout) {
        super(uri, holder.draft, headers, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        holder.owner = this;
        this.verifyHostname = verifyHostname;
        setConnectionLostTimeout(0);
        if ("wss".equalsIgnoreCase(uri.getScheme())) {
            setSocketFactory(tls.getSocketFactory());
        }
    }

    /** Builds a socket whose draft reports the raw handshake answer back to it. */
    static ProbeSocket create(URI uri, Map<String, String> headers, SSLContext tls, boolean verifyHostname,
            Duration timeout) {
        return new ProbeSocket(uri, new CapturingDraftHolder(), headers, tls, verifyHostname, timeout);
    }

    /** Lets the draft, which must exist before the socket, deliver to the socket. */
    private static final class CapturingDraftHolder {
        ProbeSocket owner;
        final CapturingDraft draft = new CapturingDraft(bytes -> owner.answer.set(bytes));
    }

    /** Connects and waits until the handshake succeeded, failed, or the timeout passed. */
    boolean await(Duration timeout) throws InterruptedException {
        phaseStart = System.nanoTime();
        connect();
        return settled.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next text message, or null on timeout or when the socket closed. */
    String next(long deadlineNanos) throws InterruptedException {
        while (true) {
            String m = messages.poll(Math.min(100, Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000)),
                    TimeUnit.MILLISECONDS);
            if (m != null) {
                return m;
            }
            if (close.get() != null || System.nanoTime() >= deadlineNanos) {
                return null;
            }
        }
    }

    void startPhase() {
        phaseStart = System.nanoTime();
    }

    long phaseMillis() {
        return (System.nanoTime() - phaseStart) / 1_000_000;
    }

    boolean opened() {
        return opened;
    }

    byte[] answer() {
        return answer.get();
    }

    CloseInfo closeInfo() {
        return close.get();
    }

    Exception error() {
        return error.get();
    }

    @Override
    protected void onSetSSLParameters(SSLParameters parameters) {
        if (verifyHostname) {
            super.onSetSSLParameters(parameters); // sets endpoint identification to HTTPS
        }
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
        opened = true;
        settled.countDown();
    }

    @Override
    public void onMessage(String message) {
        messages.add(message);
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        close.compareAndSet(null, new CloseInfo(code, reason, remote, phaseMillis()));
        settled.countDown();
    }

    @Override
    public void onError(Exception ex) {
        error.compareAndSet(null, ex);
    }
}
