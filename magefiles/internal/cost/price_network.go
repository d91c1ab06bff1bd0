// Pricers of the network: NAT gateways, Elastic IPs, VPC endpoints, load balancers, CloudFront
// and service discovery.

package cost

import (
	"fmt"
)

func (e *estimator) natGateway(r *resource, name string) error {
	hour, err := e.get(r, "nat_gateway.hour")
	if err != nil {
		return err
	}
	gbPrice, err := e.get(r, "nat_gateway.gb")
	if err != nil {
		return err
	}
	gb := e.a.v(NATGatewayGBPerMonth)
	e.add(CatNAT, r, name, fmt.Sprintf("NAT gateway %s h × $%g + %s GB (assumed) × $%g", fmtN(e.hours), hour, fmtN(gb), gbPrice), e.hours*hour+gb*gbPrice)
	if str(r.Values, "connectivity_type") != "private" && e.ix.refTarget(r, "allocation_id", "aws_eip") == nil {
		return e.ipv4(r, name, 1, e.hours, "NAT gateway address")
	}
	return nil
}

func (e *estimator) elasticIP(r *resource, name string) error {
	return e.ipv4(r, name, 1, e.hours, "Elastic IP (charged in use or idle)")
}

func (e *estimator) vpcEndpoint(r *resource, _ string) error {
	v := r.Values
	t := str(v, "vpc_endpoint_type")
	if t == "" || t == "Gateway" {
		e.est.Free++
		return nil
	}
	if t != "Interface" {
		e.unpriced(r, "VPC endpoint type "+t)
		return nil
	}
	azs := float64(r.listLen("subnet_ids"))
	if azs == 0 {
		e.unpriced(r, "interface endpoint without known subnets")
		return nil
	}
	hour, err := e.get(r, "vpc_endpoint.interface.az_hour")
	if err != nil {
		return err
	}
	gbPrice, err := e.get(r, "vpc_endpoint.interface.gb")
	if err != nil {
		return err
	}
	gb := e.a.v(VPCEndpointGBPerMonth)
	svc := str(v, "service_name")
	e.add(CatEndpoint, r, svc, fmt.Sprintf("interface endpoint in %s AZ × %s h × $%g + %s GB × $%g", fmtN(azs), fmtN(e.hours), hour, fmtN(gb), gbPrice), azs*e.hours*hour+gb*gbPrice)
	return nil
}

func (e *estimator) loadBalancer(r *resource, name string) error {
	v := r.Values
	t := str(v, "load_balancer_type")
	if t == "" {
		t = "application"
	}
	var hourKey, lcuKey, kind string
	switch t {
	case "application":
		hourKey, lcuKey, kind = "alb.hour", "alb.lcu_hour", "ALB"
	case "network":
		hourKey, lcuKey, kind = "nlb.hour", "nlb.nlcu_hour", "NLB"
	default:
		e.unpriced(r, "load balancer type "+t)
		return nil
	}
	hour, err := e.get(r, hourKey)
	if err != nil {
		return err
	}
	lcuPrice, err := e.get(r, lcuKey)
	if err != nil {
		return err
	}
	lcu := e.a.v(ALBLCUPerHour)
	scheme := "internal"
	if !boolean(v, "internal") {
		scheme = "internet-facing"
	}
	e.add(CatLB, r, name, fmt.Sprintf("%s %s %s h × $%g + %g LCU (assumed) × %s h × $%g", scheme, kind, fmtN(e.hours), hour, lcu, fmtN(e.hours), lcuPrice), e.hours*hour+lcu*e.hours*lcuPrice)
	if scheme == "internet-facing" {
		azs := float64(max(r.listLen("subnets"), len(blocks(v, "subnet_mapping"))))
		why := "internet-facing load balancer, one address per AZ"
		if azs == 0 {
			azs = 2
			why += " (AZ count unknown at plan time: 2 assumed, the minimum for an ALB)"
		}
		return e.ipv4(r, name, azs, e.hours, why)
	}
	return nil
}

func (e *estimator) cloudFront(r *resource, _ string) error {
	gb := e.a.v(CloudFrontGBOutPerMonth)
	req := e.a.v(CloudFrontRequestsPerMon)
	gp, err := e.global(r, "cloudfront.gb_out_north_america")
	if err != nil {
		return err
	}
	rp, err := e.global(r, "cloudfront.10k_https_requests")
	if err != nil {
		return err
	}
	usd := gb*gp + req/10000*rp
	e.add(CatCDN, r, "distribution", fmt.Sprintf("%s GB out × $%g + %s requests × $%g/10k (list price)", fmtN(gb), gp, fmtN(req), rp), usd)
	// Always free (AWS Free Tier, CloudFront): 1 TB out and 10,000,000
	// HTTP/S requests a month per account.
	e.est.FreeTiers = append(e.est.FreeTiers,
		freeTier("CloudFront data out", "always-free 1 TB (1,024 GB) out a month per account", gb, 1024, gp),
		freeTier("CloudFront requests", "always-free 10M HTTP/S requests a month per account (in 10k)", req/10000, 1000, rp))
	return nil
}

func (e *estimator) dnsNamespace(r *resource, name string) error {
	price, err := e.global(r, "route53.hosted_zone_month")
	if err != nil {
		return err
	}
	e.add(CatDiscovery, r, name, fmt.Sprintf("Route 53 hosted zone $%g", price), price)
	return nil
}

// discoveryService is priced per registered task, counted by the ECS services priced first.
func (e *estimator) discoveryService(r *resource, name string) error {
	n := e.tasks[r.Module]
	price, err := e.get(r, "cloudmap.instance_month")
	if err != nil {
		return err
	}
	e.add(CatDiscovery, r, name, fmt.Sprintf("%s registered × $%g", plural(n, "instance"), price), n*price)
	return nil
}
