package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.apache.hc.core5.http.impl.BasicEndpointDetails;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;

class SessionRegistryTest {

    private static final SocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 8080);
    private static final SocketAddress PEER = new InetSocketAddress("127.0.0.1", 48682);

    /** A session with an id and addresses; nothing else of IOSession is used by the registry. */
    private static IOSession session(String id) {
        return (IOSession) Proxy.newProxyInstance(IOSession.class.getClassLoader(), new Class<?>[] {IOSession.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getId" -> id;
                    case "getLocalAddress" -> LOCAL;
                    case "getRemoteAddress" -> PEER;
                    case "hashCode" -> id.hashCode();
                    case "equals" -> proxy == args[0];
                    case "toString" -> id;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static SessionRegistry.ClientSession lookup(SessionRegistry registry) {
        return registry.lookup(new BasicEndpointDetails(PEER, LOCAL, null, Timeout.ofSeconds(1)));
    }

    @Test
    void lateDisconnectOfAnOldConnectionLeavesTheNewOneFromTheSamePort() {
        SessionRegistry registry = new SessionRegistry();
        IOSession old = session("old");
        IOSession reconnected = session("new");
        registry.connected(old);
        registry.connected(reconnected); // same address pair: the client reused its port
        registry.disconnected(old);      // the old connection's close is seen only now

        assertThat(lookup(registry)).isNotNull();
        assertThat(lookup(registry).protocol().getId()).isEqualTo("new");
    }

    @Test
    void disconnectRemovesTheSession() {
        SessionRegistry registry = new SessionRegistry();
        IOSession s = session("only");
        registry.connected(s);
        assertThat(lookup(registry).protocol().getId()).isEqualTo("only");
        registry.disconnected(s);
        assertThat(lookup(registry)).isNull();
        assertThat(registry.size()).isZero();
    }
}
