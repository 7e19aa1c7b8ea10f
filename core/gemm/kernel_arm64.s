//go:build !purego

#include "textflag.h"

// FMLAE(d, n, m, i) is FMLA Vd.4S, Vn.4S, Vm.S[i] (multiply by one element
// and accumulate), which the Go assembler cannot spell yet.
#define FMLAE(d, n, m, i) WORD $(0x4F801000 | (((i)&1)<<21) | (((m)&31)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))

// func kernel8x8NEON(k int, a, b, c []float32, ldc int, beta float32)
//
// Row i of the 8×8 tile lives in V(16+2i) (columns 0-3) and V(17+2i)
// (columns 4-7). Each k step loads eight values of A into V0-V1 and eight of
// B into V2-V3, then does sixteen FMLAs by element.
TEXT ·kernel8x8NEON(SB), NOSPLIT, $0-92
	MOVD	k+0(FP), R3
	MOVD	a_base+8(FP), R0
	MOVD	b_base+32(FP), R1
	MOVD	c_base+56(FP), R2
	MOVD	ldc+80(FP), R4
	LSL	$2, R4 // bytes per row of C
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16
	CBZ	R3, store

loop:
	VLD1.P	32(R0), [V0.S4, V1.S4]
	VLD1.P	32(R1), [V2.S4, V3.S4]
	FMLAE(16, 2, 0, 0)
	FMLAE(17, 3, 0, 0)
	FMLAE(18, 2, 0, 1)
	FMLAE(19, 3, 0, 1)
	FMLAE(20, 2, 0, 2)
	FMLAE(21, 3, 0, 2)
	FMLAE(22, 2, 0, 3)
	FMLAE(23, 3, 0, 3)
	FMLAE(24, 2, 1, 0)
	FMLAE(25, 3, 1, 0)
	FMLAE(26, 2, 1, 1)
	FMLAE(27, 3, 1, 1)
	FMLAE(28, 2, 1, 2)
	FMLAE(29, 3, 1, 2)
	FMLAE(30, 2, 1, 3)
	FMLAE(31, 3, 1, 3)
	SUBS	$1, R3
	BNE	loop

store:
	FMOVS	beta+88(FP), F6
	FCMPS	$(0.0), F6
	BNE	accumulate // also when beta is NaN (unordered)

	// beta == 0: overwrite C.
	VST1	[V16.S4, V17.S4], (R2)
	ADD	R4, R2
	VST1	[V18.S4, V19.S4], (R2)
	ADD	R4, R2
	VST1	[V20.S4, V21.S4], (R2)
	ADD	R4, R2
	VST1	[V22.S4, V23.S4], (R2)
	ADD	R4, R2
	VST1	[V24.S4, V25.S4], (R2)
	ADD	R4, R2
	VST1	[V26.S4, V27.S4], (R2)
	ADD	R4, R2
	VST1	[V28.S4, V29.S4], (R2)
	ADD	R4, R2
	VST1	[V30.S4, V31.S4], (R2)
	RET

	// C = acc + beta·C.
accumulate:
	VDUP	V6.S[0], V6.S4
	VLD1	(R2), [V4.S4, V5.S4]
	VFMLA	V6.S4, V4.S4, V16.S4
	VFMLA	V6.S4, V5.S4, V17.S4
	VST1	[V16.S4, V17.S4], (R2)
	ADD	R4, R2
	VLD1	(R2), [V4.S4, V5.S4]
	VFMLA	V6.S4, V4.S4, V18.S4
	VFMLA	V6.S4, V5.S4, V19.S4
	VST1	[V18.S4, V19.S4], (R2)
	ADD	R4, R2
	VLD1	(R2), [V4.S4, V5.S4]
	VFMLA	V6.S4, V4.S4, V20.S4
	VFMLA	V6.S4, V5.S4, V21.S4
	VST1	[V20.S4, V21.S4], (R2)
	ADD	R4, R2
	VLD1	(R2), [V4.S4, V5.S4]
	VFMLA	V6.S4, V4.S4, V22.S4
	VFMLA	V6.S4, V5.S4, V23.S4
	VST1	[V22.S4, V23.S4], (R2)
	ADD	R4, R2
	VLD1	(R2), [V4.S4, V5.S4]
	VFMLA	V6.S4, V4.S4, V24.S4
	VFMLA	V6.S4, V5.S4, V25.S4
	VST1	[V24.S4, V25.S4], (R2)
	ADD	R4, R2
	VLD1	(R2), [V4.S4, V5.S4]
	VFMLA	V6.S4, V4.S4, V26.S4
	VFMLA	V6.S4, V5.S4, V27.S4
	VST1	[V26.S4, V27.S4], (R2)
	ADD	R4, R2
	VLD1	(R2), [V4.S4, V5.S4]
	VFMLA	V6.S4, V4.S4, V28.S4
	VFMLA	V6.S4, V5.S4, V29.S4
	VST1	[V28.S4, V29.S4], (R2)
	ADD	R4, R2
	VLD1	(R2), [V4.S4, V5.S4]
	VFMLA	V6.S4, V4.S4, V30.S4
	VFMLA	V6.S4, V5.S4, V31.S4
	VST1	[V30.S4, V31.S4], (R2)
	RET
