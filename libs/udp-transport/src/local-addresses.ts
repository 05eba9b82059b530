import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** True for the addresses that stand for "every local address". */
export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/**
 * Every IPv4 address of the host's interfaces, loopback included, each once, in interface order:
 * the addresses `bindEachAddress` binds one socket to.
 */
export function localIPv4Addresses(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  const addresses = new Set<string>();
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !isWildcardAddress(entry.address)) addresses.add(entry.address);
    }
  }
  return [...addresses];
}
