/** Entry point of the `boltzflow` command (filled in by the experiments app work). */
export async function main(argv: string[]): Promise<number> {
  console.log(`boltzflow: not yet implemented (${argv.join(' ')})`);
  return 0;
}
