package io.towerrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.UpstreamNode;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodesTest {
    private static Node node(String host, boolean drain) {
        return new Node(new UpstreamNode(URI.create("http://" + host + ":8052"), drain), 2, 2);
    }

    @Test
    void requestsGoToTheAvailableNodeWithTheFewestInFlight() {
        Node a = node("a", false);
        Node b = node("b", false);
        Nodes nodes = new Nodes(List.of(a, b));
        a.requestStarted();
        a.requestStarted();
        b.requestStarted();
        assertThat(nodes.forRequest(null)).isSameAs(b);
        b.requestStarted();
        b.requestStarted();
        assertThat(nodes.forRequest(null)).isSameAs(a);
    }

    @Test
    void tiesAreSpreadRoundRobin() {
        Nodes nodes = new Nodes(List.of(node("a", false), node("b", false), node("c", false)));
        Map<String, Integer> chosen = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            chosen.merge(nodes.forRequest(null).name(), 1, Integer::sum);
        }
        assertThat(chosen).containsEntry("a:8052", 10).containsEntry("b:8052", 10).containsEntry("c:8052", 10);
    }

    @Test
    void tunnelsGoToTheNodeWithTheFewestTunnels() {
        Node a = node("a", false);
        Node b = node("b", false);
        Nodes nodes = new Nodes(List.of(a, b));
        a.tunnelStarted();
        b.requestStarted(); // HTTP load does not count for tunnels
        b.requestStarted();
        assertThat(nodes.forTunnel(null)).isSameAs(b);
        a.tunnelEnded();
        b.tunnelStarted();
        assertThat(nodes.forTunnel(null)).isSameAs(a);
    }

    @Test
    void drainingAndDownNodesAreSkippedAndAvoidIsALastResort() {
        Node a = node("a", false);
        Node b = node("b", true);
        Node c = node("c", false);
        Nodes nodes = new Nodes(List.of(a, b, c));
        c.unreachable("refused");
        for (int i = 0; i < 5; i++) {
            assertThat(nodes.forRequest(null)).isSameAs(a);
            assertThat(nodes.forTunnel(null)).isSameAs(a);
        }
        assertThat(nodes.forRequest(a)).as("a retry avoids a, but a is the only one left").isSameAs(a);
        a.unreachable("refused");
        assertThat(nodes.forRequest(null)).isNull();
        assertThat(nodes.anyAvailable()).isFalse();
        assertThat(nodes.noneAvailable()).isEqualTo("every upstream node is down or draining: a:8052 down (refused); "
                + "b:8052 draining; c:8052 down (refused)");
    }

    @Test
    void aLoneNodeIsUsedWhateverItsStateAndAnAnswerBringsItBack() {
        Node only = node("a", false);
        Nodes nodes = new Nodes(List.of(only));
        only.unreachable("refused");
        assertThat(nodes.forRequest(null)).isSameAs(only);
        assertThat(only.up()).isFalse();
        only.answered();
        assertThat(only.up()).isTrue();
    }

    @Test
    void fallAndRiseCountChecksInARow() {
        Node a = node("a", false);
        a.checkFailed("refused", 1);
        assertThat(a.up()).as("one failure is not enough (fall 2)").isTrue();
        a.checkPassed("200", 1);
        a.checkFailed("refused", 1);
        assertThat(a.up()).as("failures must be in a row").isTrue();
        a.checkFailed("refused", 1);
        assertThat(a.up()).isFalse();
        assertThat(a.reason()).isEqualTo("2 health check(s) failed in a row: refused");
        a.checkPassed("200", 1);
        assertThat(a.up()).as("one pass is not enough (rise 2)").isFalse();
        a.checkPassed("200", 1);
        assertThat(a.up()).isTrue();
        assertThat(a.state()).isEqualTo("up");
        assertThat(a.lastCheck().passed()).isTrue();
        a.unreachable("upstream a:8052 refused the connection");
        assertThat(a.up()).as("passive: down at once").isFalse();
        a.answered();
        assertThat(a.up()).as("in a cluster only the checks bring a node back").isFalse();
    }

    @Test
    void updateKeepsKnownNodesWithTheirCountersAddsNewOnesAndDropsRemovedOnes() {
        Node a = node("a", false);
        Node b = node("b", false);
        Nodes nodes = new Nodes(List.of(a, b));
        b.tunnelStarted(); // an open tunnel on b, which the reload removes
        io.towerrelay.config.UpstreamConfig config = io.towerrelay.config.UpstreamConfig.defaults().withNodes(List.of(
                new UpstreamNode(URI.create("http://a:8052"), true), new UpstreamNode(URI.create("http://c:8052"), false)));
        nodes.update(config);

        assertThat(nodes.all()).hasSize(2);
        assertThat(nodes.all().get(0)).isSameAs(a);
        assertThat(a.draining()).isTrue();
        assertThat(nodes.all().get(1).name()).isEqualTo("c:8052");
        for (int i = 0; i < 10; i++) {
            assertThat(nodes.forRequest(null).name()).isEqualTo("c:8052");
            assertThat(nodes.forTunnel(null).name()).isEqualTo("c:8052");
        }
        // The removed node's tunnel still counts on its Node until it ends.
        assertThat(b.openTunnels()).isEqualTo(1);
        b.tunnelEnded();
        assertThat(b.openTunnels()).isZero();

        nodes.update(config.withNodes(List.of(UpstreamNode.of(URI.create("http://a:8052")))));
        assertThat(nodes.all()).containsExactly(a);
        assertThat(a.draining()).isFalse();
        assertThat(nodes.forRequest(null)).isSameAs(a);
    }
}
