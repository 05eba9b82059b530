/** The file names of one device folder, sorted (so by time of acceptance), kept up to date as images come and go. */
export class SortedNames {
  private constructor(private readonly names: string[]) {}

  static of(unsorted: readonly string[]): SortedNames {
    return new SortedNames([...unsorted].sort());
  }

  get size(): number {
    return this.names.length;
  }

  /** The first name after `after` ('' for the first), undefined when there is none. */
  next(after: string): string | undefined {
    return this.names[this.indexAfter(after)];
  }

  insert(name: string): void {
    const index = this.indexAfter(name);
    if (this.names[index - 1] !== name) this.names.splice(index, 0, name);
  }

  delete(name: string): void {
    const index = this.indexAfter(name) - 1;
    if (index >= 0 && this.names[index] === name) this.names.splice(index, 1);
  }

  /** Index of the first name greater than `name`. */
  private indexAfter(name: string): number {
    let low = 0;
    let high = this.names.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.names[middle]! <= name) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
