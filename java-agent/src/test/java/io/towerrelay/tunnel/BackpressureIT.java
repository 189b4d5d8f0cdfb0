package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.testsupport.RawHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;
import org.junit.jupiter.api.Test;

/**
 * An upstream pushes 200 MB as fast as TCP lets it to a client that reads slowly, through a relay process
 * with a 96 MB heap: the relay must hold back the upstream instead of buffering (it would run out of memory),
 * and every byte must arrive, in order.
 */
class BackpressureIT {

    private static final int FRAME = 64 * 1024;
    private static final int FRAMES = 200 * 1024 * 1024 / FRAME;
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    @Test
    void slowClientHoldsBackAFastUpstreamWithBoundedRelayMemory() throws Exception {
        try (ServerSocket tower = new ServerSocket()) {
            tower.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread pusher = new Thread(() -> push(tower), "flooding-upstream");
            pusher.setDaemon(true);
            pusher.start();

            Process relay = startRelayProcess(URI.create("http://127.0.0.1:" + tower.getLocalPort()));
            try {
                int port = awaitPort(relay);
                SlowReader client = new SlowReader(URI.create("ws://127.0.0.1:" + port + "/websocket/"));
                assertThat(client.connectBlocking(20, TimeUnit.SECONDS)).isTrue();
                assertThat(client.finished.await(5, TimeUnit.MINUTES)).as("all frames within 5 minutes").isTrue();
                assertThat(client.error.get()).isNull();
                assertThat(client.frames).isEqualTo(FRAMES);
                assertThat(relay.isAlive()).as("relay survived with -Xmx96m").isTrue();
                client.closeBlocking();
            } finally {
                relay.destroy(); // SIGTERM: the relay's shutdown hook stops it
                if (!relay.waitFor(20, TimeUnit.SECONDS)) {
                    relay.destroyForcibly();
                }
            }
        }
    }

    /** The relay as users run it: the shaded jar, {@code serve}, here with a 96 MB heap. */
    private static Process startRelayProcess(URI upstream) throws IOException {
        String jar = System.getProperty("towerrelay.jar");
        assertThat(jar).as("system property towerrelay.jar (set by failsafe)").isNotNull();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(List.of(java, "-Xmx96m", "-XX:+ExitOnOutOfMemoryError", "-jar", jar,
                "serve", "--listen", "127.0.0.1:0", "--upstream", upstream.toString(), "--admin", "off"));
        builder.redirectErrorStream(true);
        return builder.start();
    }

    /** Reads the relay's log up to its "listening on http://127.0.0.1:PORT" line, then keeps draining it. */
    private static int awaitPort(Process relay) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(relay.getInputStream(), StandardCharsets.UTF_8));
        Matcher matcher = null;
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            System.out.println("relay: " + line);
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                matcher = m;
                break;
            }
        }
        if (matcher == null) {
            throw new IllegalStateException("relay process exited before listening");
        }
        Thread drain = new Thread(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    System.out.println("relay: " + line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "relay-log");
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(matcher.group(1));
    }

    static byte pattern(int frame, int index) {
        return (byte) (frame * 31 + index * 7 + (index >>> 8));
    }

    /** Handshake by hand, then 200 MB of binary frames with blocking writes: TCP's own flow control. */
    private static void push(ServerSocket tower) {
        try (Socket socket = tower.accept()) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            String request = RawHttp.head(in);
            String accept = RawHttp.accept(RawHttp.headerOf(request, "Sec-WebSocket-Key"));
            out.write(RawHttp.bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n"));
            byte[] frame = new byte[10 + FRAME];
            frame[0] = (byte) 0x82; // FIN + binary
            frame[1] = 127;         // 64-bit length follows
            ByteBuffer.wrap(frame, 2, 8).putLong(FRAME);
            for (int f = 0; f < FRAMES; f++) {
                for (int i = 0; i < FRAME; i++) {
                    frame[10 + i] = pattern(f, i);
                }
                out.write(frame);
            }
            out.flush();
            in.read(); // hold the connection until the client closes
        } catch (IOException ignored) {
            // the client side reports what went wrong
        }
    }

    /** Checks each frame as it comes and stops reading for a while every 4 MB. */
    private static final class SlowReader extends WebSocketClient {
        final CountDownLatch finished = new CountDownLatch(1);
        final AtomicReference<String> error = new AtomicReference<>();
        volatile int frames;

        SlowReader(URI uri) {
            super(uri);
            setConnectionLostTimeout(0);
        }

        @Override
        public void onMessage(ByteBuffer bytes) {
            int f = frames;
            if (bytes.remaining() != FRAME) {
                fail("frame " + f + " has " + bytes.remaining() + " bytes");
                return;
            }
            for (int i = 0; i < FRAME; i++) {
                if (bytes.get() != pattern(f, i)) {
                    fail("frame " + f + " differs at byte " + i);
                    return;
                }
            }
            frames = f + 1;
            if (frames % 64 == 0) {
                try {
                    Thread.sleep(50); // a slow reader: the relay's buffers fill up and it must stop the upstream
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            if (frames == FRAMES) {
                finished.countDown();
            }
        }

        private void fail(String message) {
            error.compareAndSet(null, message);
            finished.countDown();
        }

        @Override
        public void onMessage(String message) {
            fail("unexpected text " + message);
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            if (frames < FRAMES) {
                fail("closed after " + frames + " frames: " + code + " " + reason);
            }
        }

        @Override
        public void onError(Exception ex) {
            fail("error " + ex);
        }
    }
}
