package io.towerrelay.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/** Helpers for commands that listen and then run until Ctrl-C or SIGTERM. */
final class Listening {
    private Listening() {}

    /** Something that binds a port. */
    interface Binder<T> {
        T bind() throws IOException;
    }

    /** Binds, turning a busy or unusable address into one clear line for the user. */
    static <T> T bindOrExplain(String what, InetSocketAddress address, Binder<T> binder) {
        try {
            return binder.bind();
        } catch (BindException e) {
            throw new UserError("cannot listen on " + hostAndPort(address) + " for " + what + ": "
                    + (e.getMessage() == null ? "address unavailable" : e.getMessage().toLowerCase(java.util.Locale.ROOT))
                    + " (another process uses it? pick another port with the flags, see --help)", e);
        } catch (IOException e) {
            throw new UserError("cannot listen on " + hostAndPort(address) + " for " + what + ": " + e.getMessage(), e);
        }
    }

    static String hostAndPort(InetSocketAddress address) {
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * Blocks until the JVM shuts down (Ctrl-C, SIGTERM); a shutdown hook closes the resources in
     * reverse order first. The JVM then exits with 130 (SIGINT) or 143 (SIGTERM), as Java services do.
     */
    static void runUntilShutdown(AutoCloseable... resources) {
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (int i = resources.length - 1; i >= 0; i--) {
                try {
                    resources[i].close();
                } catch (Exception e) {
                    System.err.println("tower-relay: error while stopping: " + e);
                }
            }
            System.err.println("tower-relay: stopped");
        }, "shutdown"));
        try {
            forever.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
