import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, describe, it } from 'node:test';
import { FIRMWARE, syntheticJpeg } from '#camera-emulator';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { assertStored } from './support/stored-images.js';

/** A non-loopback IPv4 address of this host, if it has one. */
const hostAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address?.family === 'IPv4' && !address.internal)?.address;

/**
 * The Ethernet builds ignore replies whose source is not the address they sent to. On a host
 * with several addresses, a camera (here on 127.0.0.1) that sends to another of them gets its
 * replies from the address it sent to only when the gateway binds one socket per address.
 */
describe(
  'a gateway on a host with several addresses',
  { skip: hostAddress ? false : 'no non-loopback IPv4 address' },
  () => {
    const devices = new DevicePool();
    const gateways: TestGateway[] = [];

    after(async () => {
      await devices.closeAll();
      await Promise.all(gateways.map((gateway) => gateway.close()));
    });

    async function gatewayOnEveryAddress(bindEachAddress: boolean): Promise<TestGateway> {
      const gateway = await startTestGateway({
        UDP_HOST: '0.0.0.0',
        UDP_BIND_EACH_ADDRESS: String(bindEachAddress),
      });
      gateways.push(gateway);
      return gateway;
    }

    it('UDP_BIND_EACH_ADDRESS: replies to the transfer leave from the address the Ethernet camera sent to', async () => {
      const gateway = await gatewayOnEveryAddress(true);
      const server = { address: hostAddress!, port: gateway.udp.port };
      const image = syntheticJpeg(40_001, 91);
      const deviceA = await devices.open({ server, firmware: FIRMWARE.A_ETHERNET, deviceId: 91 });
      const deviceB = await devices.open({ server, firmware: FIRMWARE.B, deviceId: 92 });
      const [resultA, resultB] = await Promise.all([
        deviceA.upload(image, { deadlineMs: 20_000 }),
        deviceB.upload(image, { deadlineMs: 20_000 }),
      ]);
      for (const result of [resultA, resultB]) {
        assert.equal(result.ok, true, describeResult(result));
        assert.deepEqual(result.violations, []);
      }
      await assertStored(gateway.storageDir, [sentBy(deviceA, image), sentBy(deviceB, image)]);
    });

    it('UDP_BIND_EACH_ADDRESS: the op-4 analysis result leaves from that address too', async () => {
      const gateway = await gatewayOnEveryAddress(true);
      const server = { address: hostAddress!, port: gateway.udp.port };
      const device = await devices.open({ server, firmware: FIRMWARE.A_ETHERNET, deviceId: 94 });
      const result = await device.upload(syntheticJpeg(10_001, 94), {
        deadlineMs: 20_000,
        awaitAnalysisMs: 3_000,
      });
      assert.equal(result.ok, true, describeResult(result));
      assert.deepEqual(result.violations, []);
      assert.equal(result.analysis?.received, true, 'the analysis result reached the camera');
    });

    it('a single wildcard socket answers from another address: the Ethernet camera ignores it', async () => {
      const gateway = await gatewayOnEveryAddress(false);
      const server = { address: hostAddress!, port: gateway.udp.port };
      const device = await devices.open({
        server,
        firmware: FIRMWARE.A_ETHERNET,
        deviceId: 93,
        timeScale: 0.02,
      });
      const result = await device.upload(syntheticJpeg(3_001, 93), { deadlineMs: 500 });
      assert.equal(result.gaveUp, 'deadline');
      assert.match(
        result.violations[0],
        new RegExp(`not from the server address ${hostAddress!.replaceAll('.', '\\.')}`),
      );
    });
  },
);
