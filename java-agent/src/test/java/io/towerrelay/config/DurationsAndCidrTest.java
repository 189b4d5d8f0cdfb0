package io.towerrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;

class DurationsAndCidrTest {
    @Test
    void durationsAsPeopleWriteThem() {
        assertThat(Durations.parse("30s")).isEqualTo(Timeout.ofSeconds(30));
        assertThat(Durations.parse("5m")).isEqualTo(Timeout.ofMinutes(5));
        assertThat(Durations.parse("1h")).isEqualTo(Timeout.ofHours(1));
        assertThat(Durations.parse("1h30m")).isEqualTo(Timeout.ofMinutes(90));
        assertThat(Durations.parse("250ms")).isEqualTo(Timeout.ofMilliseconds(250));
        assertThat(Durations.format(Durations.parse("90m"))).isEqualTo("90m");
        assertThat(Durations.format(Timeout.ofSeconds(3600))).isEqualTo("1h");
        for (String bad : new String[] {"30", "30 s", "s", "-5s", "1.5h", "", "30sec"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a duration");
        }
    }

    @Test
    void cidrsMatchTheirBlockOnly() throws Exception {
        Cidr ten = Cidr.parse("10.0.0.0/8");
        assertThat(ten.contains(InetAddress.getByName("10.200.3.4"))).isTrue();
        assertThat(ten.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(ten.contains(InetAddress.getByName("::1"))).isFalse();
        Cidr odd = Cidr.parse("192.168.1.128/25");
        assertThat(odd.contains(InetAddress.getByName("192.168.1.200"))).isTrue();
        assertThat(odd.contains(InetAddress.getByName("192.168.1.127"))).isFalse();
        assertThat(Cidr.parse("127.0.0.1").contains(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(Cidr.parse("127.0.0.1").contains(InetAddress.getByName("127.0.0.2"))).isFalse();
        assertThat(Cidr.parse("fd00::/8").contains(InetAddress.getByName("fd12::1"))).isTrue();
        assertThatThrownBy(() -> Cidr.parse("tower.example.com")).hasMessageContaining("is not an address block");
    }
}
