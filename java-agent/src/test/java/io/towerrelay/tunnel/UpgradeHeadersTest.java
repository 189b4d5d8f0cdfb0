package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UpgradeHeadersTest {

    @ParameterizedTest(name = "Connection: {0} / Upgrade: {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "Upgrade               | websocket          | true",
            "keep-alive, Upgrade   | websocket          | true",   // Firefox
            "UPGRADE               | WebSocket          | true",
            "upgrade,keep-alive    | websocket, foo/2   | true",
            " Upgrade              | h2c                | false",  // h2c smuggling: never forwarded as an upgrade
            "Upgrade, HTTP2-Settings | h2c              | false",
            "keep-alive            | websocket          | false",  // Upgrade without Connection: upgrade is not one
            "Upgrade               | websockets         | false",
            "Upgradeable           | websocket          | false",
    })
    void recognisesOnlyWebSocketUpgrades(String connection, String upgrade, boolean expected) {
        BasicHttpRequest request = new BasicHttpRequest("GET", "/websocket/");
        request.addHeader("Connection", connection);
        request.addHeader("Upgrade", upgrade);
        assertThat(WebSocketTunnels.isWebSocketUpgrade(request)).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void tokensMaySpreadOverSeveralHeaderLines() {
        BasicHttpRequest request = new BasicHttpRequest("GET", "/websocket/");
        request.addHeader("Connection", "keep-alive");
        request.addHeader("Connection", "Upgrade");
        request.addHeader("Upgrade", "websocket");
        assertThat(WebSocketTunnels.isWebSocketUpgrade(request)).isTrue();
        assertThat(WebSocketTunnels.isWebSocketUpgrade(new BasicHttpRequest("GET", "/"))).isFalse();
    }
}
