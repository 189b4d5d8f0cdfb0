package io.towerrelay.hardening;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A loopback HTTP/1.1 upstream that answers every request {@code "done <path>"} after {@code delayMillis}. */
final class SlowUpstream implements AutoCloseable {
    private final ServerSocket server;
    private final int delayMillis;
    private final AtomicInteger started = new AtomicInteger();

    SlowUpstream(int delayMillis) throws IOException {
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        this.delayMillis = delayMillis;
        Thread acceptor = new Thread(this::accept, "slow-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Requests that have arrived (and are being, or were, answered). */
    int requestsStarted() {
        return started.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "slow-upstream-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            while (true) {
                StringBuilder head = new StringBuilder();
                while (head.indexOf("\r\n\r\n") < 0) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    head.append((char) b);
                }
                started.incrementAndGet();
                String path = head.toString().split(" ", 3)[1];
                Thread.sleep(delayMillis);
                byte[] body = ("done " + path).getBytes(StandardCharsets.US_ASCII);
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(body);
                s.getOutputStream().flush();
            }
        } catch (IOException | InterruptedException e) {
            // connection over
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
