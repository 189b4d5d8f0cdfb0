package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.reactor.SessionEndpoint;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.apache.hc.core5.http.impl.BasicEndpointDetails;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.reactor.ssl.TlsDetails;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;

class SessionRegistryTest {

    private static final SocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 8080);
    private static final SocketAddress PEER = new InetSocketAddress("127.0.0.1", 48682);

    /** A channel with an id, addresses and TLS details (null: plain); nothing else is used here. */
    private static ProtocolIOSession channel(String id, TlsDetails tls) {
        return (ProtocolIOSession) Proxy.newProxyInstance(IOSession.class.getClassLoader(),
                new Class<?>[] {ProtocolIOSession.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getId" -> id;
                    case "getLocalAddress" -> LOCAL;
                    case "getRemoteAddress" -> PEER;
                    case "getTlsDetails" -> tls;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> id;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static final TlsDetails TLS = new TlsDetails(null, "http/1.1");

    @Test
    void aPlainConnectionIsItsOwnChannelAndNothingIsRecorded() {
        SessionRegistry registry = new SessionRegistry();
        ProtocolIOSession plain = channel("a-1", null);
        registry.connected(plain);

        SessionRegistry.ClientSession found = registry.lookup(new SessionEndpoint(plain));
        assertThat(found.transport()).isSameAs(plain);
        assertThat(found.protocol()).isSameAs(plain);
        assertThat(registry.size()).isZero();
    }

    @Test
    void aTlsConnectionIsItsRecordedTcpSessionAndTheTlsSession() {
        SessionRegistry registry = new SessionRegistry();
        IOSession tcp = channel("a-2", null);
        IOSession tlsLayer = channel("a-2", null);
        ProtocolIOSession handlersChannel = channel("a-2", TLS);
        assertThat(registry.decorate(tcp)).isSameAs(tcp); // decorates nothing
        registry.connected(handlersChannel);
        registry.startTls(tlsLayer);

        SessionRegistry.ClientSession found = registry.lookup(new SessionEndpoint(handlersChannel));
        assertThat(found.transport()).isSameAs(tcp);
        assertThat(found.protocol()).isSameAs(tlsLayer);

        registry.disconnected(handlersChannel);
        assertThat(registry.size()).isZero();
        assertThat(registry.lookup(new SessionEndpoint(handlersChannel)))
                .as("under TLS with no TCP session recorded: nothing a tunnel could use").isNull();
    }

    @Test
    void aDecoratedConnectionWhoseTlsNeverStartedIsPlain() {
        SessionRegistry registry = new SessionRegistry();
        ProtocolIOSession plain = channel("a-3", null);
        registry.decorate(plain);
        registry.connected(plain);

        assertThat(registry.lookup(new SessionEndpoint(plain)).protocol()).isSameAs(plain);
        registry.disconnected(plain);
        assertThat(registry.size()).isZero();
    }

    @Test
    void anEndpointThatIsNoConnectionOfTheRelayIsNotFound() {
        SessionRegistry registry = new SessionRegistry();
        assertThat(registry.lookup(new BasicEndpointDetails(PEER, LOCAL, null, Timeout.ofSeconds(1)))).isNull();
        assertThat(registry.lookup(null)).isNull();
    }
}
