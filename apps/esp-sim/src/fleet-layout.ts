import { FACTORY_DEVICE_ID } from '#camera-emulator';
import { deviceLink } from './device-link.js';
import type { FleetDevice } from './fleet.js';
import type { SimOptions } from './sim-options.js';

/** Device ids travel in one byte. */
const DEVICE_ID_COUNT = 256;

/** Loopback addresses handed out per third octet (.1 to .250). */
const HOSTS_PER_OCTET = 250;

/** Spacing of the link seeds of successive devices, so that their losses are independent. */
const LINK_SEED_STEP = 7919;

/**
 * Local address of device `index`. `auto`: on a loopback target, each device gets its own
 * address 127.1.x.y (all of 127/8 is loopback on Linux), as real cameras each have theirs; on any
 * other target, the wildcard address. Anything else is used as given, for every device.
 */
export function bindAddressFor(bind: string, targetAddress: string, index: number): string {
  if (bind !== 'auto') return bind;
  if (targetAddress.startsWith('127.')) {
    return `127.1.${Math.floor(index / HOSTS_PER_OCTET) + 1}.${(index % HOSTS_PER_OCTET) + 1}`;
  }
  if (targetAddress === '::1') return '::1';
  return targetAddress.includes(':') ? '::' : '0.0.0.0';
}

/**
 * The devices of a run: builds given in turn, ids 0, 1, 2, … (or all 99 with `sameId`), each on
 * its own address and behind its own seeded link.
 */
export function layOutFleet(options: SimOptions, targetAddress: string): FleetDevice[] {
  return Array.from({ length: options.devices }, (_, index) => ({
    firmware: options.builds[index % options.builds.length]!,
    deviceId: options.sameId ? FACTORY_DEVICE_ID : index % DEVICE_ID_COUNT,
    bindAddress: bindAddressFor(options.bind, targetAddress, index),
    link: deviceLink(options.link, (options.seed + index * LINK_SEED_STEP) >>> 0),
  }));
}
