/** Dollars in a server message: cents, or four decimals for a spend under a cent ("$0.0031"). */
export function usdText(usd: number): string {
	return usd > 0 && usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2);
}
