package io.towerrelay.common;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;

/**
 * The client's end of a connection and the address it connected to, as the relay reports them (X-Forwarded-*,
 * access log, tunnel log lines): the TCP peer and local address, or, behind a load balancer speaking the PROXY
 * protocol, the addresses its header carried. HttpCore5's {@link EndpointDetails} always holds the TCP addresses,
 * which stay the connection's key (the balancer's connections are unique; the addresses they carry need not be).
 */
public record ClientEndpoint(InetSocketAddress remote, InetSocketAddress local) {
    private static final String ATTRIBUTE = "io.towerrelay.edge.client-endpoint";

    /** The endpoint of the connection {@code context} belongs to; its fields may be null when unknown. */
    public static ClientEndpoint of(HttpContext context) {
        Object attached = context == null ? null : context.getAttribute(ATTRIBUTE);
        if (attached instanceof ClientEndpoint endpoint) {
            return endpoint;
        }
        EndpointDetails details = context == null ? null : HttpCoreContext.cast(context).getEndpointDetails();
        return details == null ? new ClientEndpoint(null, null)
                : new ClientEndpoint(inet(details.getRemoteAddress()), inet(details.getLocalAddress()));
    }

    public static void attach(HttpContext context, ClientEndpoint endpoint) {
        context.setAttribute(ATTRIBUTE, endpoint);
    }

    private static InetSocketAddress inet(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet : null;
    }
}
