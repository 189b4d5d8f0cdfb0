package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free loopback ports, asked from the kernel at run time (other developers run tests on this machine too). */
public final class Ports {

    private Ports() {}

    public static int free() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
