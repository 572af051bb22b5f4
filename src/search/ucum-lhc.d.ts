/** The package ships no typings; this declares only what ucum.ts calls. */
declare module '@lhncbc/ucum-lhc' {
  export interface BaseUnitsResult {
    status: 'succeeded' | 'invalid' | 'failed' | 'error';
    msg: string[];
    /** The input value expressed in base units; set when status is 'succeeded'. */
    magnitude?: number;
    /** True when the unit converts through a function (Cel, [degF], dB, [pH], ...), not a factor. */
    fromUnitIsSpecial?: boolean;
    /** Base unit code (m, s, g, rad, K, C, cd) to its non-zero exponent. */
    unitToExp?: Record<string, number>;
  }

  export class UcumLhcUtils {
    static getInstance(): UcumLhcUtils;
    convertToBaseUnits(fromUnit: string, fromVal: number): BaseUnitsResult;
  }
}
