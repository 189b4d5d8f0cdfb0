package io.towerrelay.conformance;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Instant;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Waits until something accepts connections on 127.0.0.1:port. The containers share the host's
 * network, so Testcontainers' port mapping (and its default wait) does not apply; the port is the
 * host's own. Gives up early, with the container's log, when the container has stopped.
 */
final class LoopbackPortWait extends AbstractWaitStrategy {
    private final int port;

    LoopbackPortWait(int port) {
        this.port = port;
    }

    @Override
    protected void waitUntilReady() {
        Instant deadline = Instant.now().plus(startupTimeout);
        while (Instant.now().isBefore(deadline)) {
            if (!waitStrategyTarget.isRunning()) {
                throw new ContainerLaunchException("container stopped before listening on 127.0.0.1:" + port
                        + "; its log:\n" + waitStrategyTarget.getLogs());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                sleep();
            }
        }
        throw new ContainerLaunchException("nothing listens on 127.0.0.1:" + port + " after " + startupTimeout
                + "; the container's log:\n" + waitStrategyTarget.getLogs());
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerLaunchException("interrupted");
        }
    }
}
