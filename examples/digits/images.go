package main

import (
	"math"
	"math/rand/v2"
)

// Side is the width and height of a digit image; an image is Side×Side =
// 784 pixels, row-major, intensity 0 (paper) to 1 (ink).
const Side = 28

// strokes are the pen strokes of each digit as polylines in a unit box
// (x right, y down), drawn with a thick round pen.
var strokes = [10][][][2]float64{
	0: {ellipse(0.5, 0.5, 0.28, 0.4, 0, 2*math.Pi, 20)},
	1: {{{0.35, 0.25}, {0.55, 0.1}, {0.55, 0.9}}},
	2: {append(ellipse(0.5, 0.33, 0.25, 0.23, math.Pi, 2.15*math.Pi, 10), [2]float64{0.25, 0.9}, [2]float64{0.78, 0.9})},
	3: {ellipse(0.48, 0.3, 0.24, 0.2, 1.1*math.Pi, 2.5*math.Pi, 10), ellipse(0.48, 0.69, 0.27, 0.21, 1.5*math.Pi, 2.9*math.Pi, 10)},
	4: {{{0.6, 0.1}, {0.22, 0.62}, {0.8, 0.62}}, {{0.62, 0.35}, {0.62, 0.92}}},
	5: {append([][2]float64{{0.75, 0.1}, {0.32, 0.1}, {0.28, 0.45}}, ellipse(0.48, 0.65, 0.27, 0.25, 1.2*math.Pi, 2.85*math.Pi, 10)...)},
	6: {append([][2]float64{{0.68, 0.1}}, ellipse(0.5, 0.66, 0.24, 0.24, 1.05*math.Pi, 3.05*math.Pi, 14)...)},
	7: {{{0.22, 0.1}, {0.78, 0.1}, {0.42, 0.92}}},
	8: {ellipse(0.5, 0.29, 0.2, 0.19, 0, 2*math.Pi, 14), ellipse(0.5, 0.7, 0.25, 0.21, 0, 2*math.Pi, 14)},
	9: {append(ellipse(0.5, 0.33, 0.23, 0.22, 0.05*math.Pi, 2.05*math.Pi, 14), [2]float64{0.72, 0.92})},
}

// ellipse returns n+1 points on an elliptic arc from angle a0 to a1
// (radians, 0 = right, growing clockwise on screen since y points down).
func ellipse(cx, cy, rx, ry, a0, a1 float64, n int) [][2]float64 {
	pts := make([][2]float64, n+1)
	for i := range pts {
		a := a0 + (a1-a0)*float64(i)/float64(n)
		pts[i] = [2]float64{cx + rx*math.Cos(a), cy + ry*math.Sin(a)}
	}
	return pts
}

// render draws digit d with a random pen (thickness), a random affine
// distortion (scale, slant, rotation, shift) and pixel noise, the way
// handwriting varies.
func render(d int, r *rand.Rand, img []float32) {
	clear(img)
	scale := 0.8 + 0.25*r.Float64()
	slant := 0.25 * (r.Float64() - 0.5)
	rot := 0.25 * (r.Float64() - 0.5)
	dx, dy := 2.5*(r.Float64()-0.5)*2, 2.5*(r.Float64()-0.5)*2
	pen := 1.0 + 0.9*r.Float64()
	sin, cos := math.Sincos(rot)
	// Map unit-box points to pixel coordinates.
	tf := func(p [2]float64) (float64, float64) {
		x, y := p[0]-0.5, p[1]-0.5
		x += slant * y
		x, y = x*cos-y*sin, x*sin+y*cos
		return 14 + dx + 20*scale*x, 14 + dy + 20*scale*y
	}
	// Jitter each stroke point a little so no two images share a shape.
	for _, s := range strokes[d] {
		prevX, prevY := 0.0, 0.0
		for i, p := range s {
			x, y := tf(p)
			x += 0.6 * r.NormFloat64()
			y += 0.6 * r.NormFloat64()
			if i > 0 {
				drawSegment(img, prevX, prevY, x, y, pen)
			}
			prevX, prevY = x, y
		}
	}
	for i := range img {
		v := float64(img[i]) + 0.08*r.NormFloat64()
		img[i] = float32(min(max(v, 0), 1))
	}
}

// drawSegment inks the pixels within pen of the segment (x0,y0)–(x1,y1),
// with a one-pixel soft edge.
func drawSegment(img []float32, x0, y0, x1, y1, pen float64) {
	minX := int(math.Floor(min(x0, x1) - pen - 1))
	maxX := int(math.Ceil(max(x0, x1) + pen + 1))
	minY := int(math.Floor(min(y0, y1) - pen - 1))
	maxY := int(math.Ceil(max(y0, y1) + pen + 1))
	vx, vy := x1-x0, y1-y0
	l2 := vx*vx + vy*vy
	for py := max(minY, 0); py <= min(maxY, Side-1); py++ {
		for px := max(minX, 0); px <= min(maxX, Side-1); px++ {
			cx, cy := float64(px)+0.5, float64(py)+0.5
			t := 0.0
			if l2 > 0 {
				t = min(max(((cx-x0)*vx+(cy-y0)*vy)/l2, 0), 1)
			}
			ex, ey := cx-(x0+t*vx), cy-(y0+t*vy)
			d := math.Sqrt(ex*ex + ey*ey)
			ink := float32(min(max(pen-d+0.5, 0), 1))
			if i := py*Side + px; ink > img[i] {
				img[i] = ink
			}
		}
	}
}

// ascii renders an image as text, for a look in the terminal.
func ascii(img []float32) string {
	const shades = " .:-=+*#%@"
	b := make([]byte, 0, Side*(Side+1))
	for y := range Side {
		for x := range Side {
			v := img[y*Side+x]
			b = append(b, shades[min(int(v*float32(len(shades))), len(shades)-1)])
		}
		b = append(b, '\n')
	}
	return string(b)
}
