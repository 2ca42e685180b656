import { describe, expect, it } from 'vitest';
import { createNetworkCollector } from '../../src/collectors/network/network.collector.js';
import { localAddresses } from '../../src/collectors/network/network.os-interfaces.js';
import { available } from '../../src/collectors/probe.js';
import { testContext } from '../support/collector-context.js';
import { FakeNetwork } from '../support/fake-collectors.js';

describe('network collector', () => {
  it('sends the network at start and again only when it changes', async () => {
    const t = testContext();
    const network = new FakeNetwork();
    const collector = createNetworkCollector(t.ctx, available(network));
    collector.start();
    await t.clock.advance(0);
    expect(t.events).toEqual([
      {
        type: 'network',
        time: t.clock.now(),
        hostname: 'seat-042',
        osUser: 'operator1',
        localIps: ['10.1.2.42'],
        gateway: '10.1.2.1',
      },
    ]);
    await t.clock.advance(30_000);
    expect(t.events).toHaveLength(1);
    network.info = { ...network.info, localIps: ['10.9.9.9'] };
    await t.clock.advance(10_000);
    expect(t.events[1]).toMatchObject({ localIps: ['10.9.9.9'] });
    collector.stop();
  });

  it('lists external addresses only', () => {
    expect(
      localAddresses({
        lo: [{ address: '127.0.0.1', internal: true, family: 'IPv4', netmask: '', mac: '', cidr: null }],
        eth0: [
          { address: '10.0.0.5', internal: false, family: 'IPv4', netmask: '', mac: '', cidr: null },
          {
            address: 'fe80::1',
            internal: false,
            family: 'IPv6',
            netmask: '',
            mac: '',
            cidr: null,
            scopeid: 2,
          },
        ],
      }),
    ).toEqual(['10.0.0.5']);
  });
});
