package io.towerrelay.cli;

import io.towerrelay.common.UserError;
import io.towerrelay.config.Addresses;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

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
            throw new UserError("cannot listen on " + Addresses.format(address) + " for " + what + ": "
                    + (e.getMessage() == null ? "address unavailable" : e.getMessage().toLowerCase(Locale.ROOT))
                    + " (another process has the port? choose another with the flags, see --help)", e);
        } catch (IOException e) {
            throw new UserError("cannot listen on " + Addresses.format(address) + " for " + what + ": " + e.getMessage(), e);
        }
    }

    /** A {@code HOST:PORT} flag value; a bad one is a usage error naming the flag. */
    static InetSocketAddress address(String flag, String value) {
        try {
            return Addresses.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UserError(flag + ": " + e.getMessage());
        }
    }

    /**
     * Blocks until SIGTERM or SIGINT (Ctrl-C), then closes the resources in reverse order. The command
     * then returns normally, so a stop by signal exits 0, like {@code serve}.
     */
    static void runUntilSignal(AutoCloseable... resources) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        try {
            stop.await();
        } finally {
            for (int i = resources.length - 1; i >= 0; i--) {
                try {
                    resources[i].close();
                } catch (Exception e) {
                    System.err.println("tower-relay: error while stopping: " + e);
                }
            }
        }
    }
}
